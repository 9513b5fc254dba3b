"""Tuning LightGBM and XGBoost the way the seed scenario describes, on 2 cores.

Twelve hyperparameters per library (rounds up to ``--max-rounds``, learning
rate, leaves/depth, child weight and size, row and column subsampling,
regularisation, ...) on a ``make_classification`` dataset, ROC AUC. For each
library and seed, ``--n-samples`` rows are searched and ``--n-test`` more rows
of the same generator are held out (a large held-out part costs no search
time and keeps the held-out AUC precise); every arm searches the same rows
with ``n_iter`` candidates, ``cv`` folds and 2 workers, refits its winner and
scores it on the held-out rows. Arms:

- ``sksearch``: BayesSearchCV, TPE, successive halving deciding after every
  increment of ``n_estimators`` (``increments={"n_estimators": k}``);
- ``sksearch-cost``: the same with ``TPESampler(cost="fit_time")``, which
  proposes by expected improvement per second of measured fit time;
- ``randomized``: scikit-learn's RandomizedSearchCV;
- ``halving``: scikit-learn's HalvingRandomSearchCV (``n_candidates=n_iter``,
  factor 3, samples as the resource);
- ``optuna-search-cv``: optuna-integration's OptunaSearchCV (TPE, no pruning:
  it prunes only estimators with ``partial_fit``);
- ``optuna-recipe``: Optuna's own recipe: a Study (TPE, Hyperband) whose
  objective runs the folds in the library's native ``cv`` with
  optuna-integration's pruning callback, reporting the mean validation AUC
  after every round; the winner is refitted with the wrapper.

Every model runs one thread (``n_jobs=1``/``nthread=1``), so 2 workers are two
models at a time. "fold fits" counts folds started (pruned ones too; for
``halving`` on smaller samples). Medians over seeds.

    python benchmarks/boosting.py --quick
    python benchmarks/boosting.py --seeds 3 --n-samples 1000 --max-rounds 200
    python benchmarks/boosting.py --overhead     # increments vs one plain fit
    python benchmarks/boosting.py --exactness    # subsampled models: increments vs plain
    python benchmarks/boosting.py --from-logs run1.err run2.err   # one table of runs
"""

import argparse
import re
import sys
import time
import warnings

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    ParameterSampler,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from sksearch import BayesSearchCV
from sksearch.pruners import HyperbandPruner, MedianPruner, SuccessiveHalvingPruner
from sksearch.samplers import TPESampler

ARMS = ["sksearch", "sksearch-cost", "randomized", "halving", "optuna-search-cv",
        "optuna-recipe"]
# BayesSearchCV with increments: (sampler, pruner) of each arm; the arms past
# the first two are other pruners (--arms to run them)
SKSEARCH_ARMS = {
    "sksearch": lambda k: ("tpe", SuccessiveHalvingPruner()),
    "sksearch-cost": lambda k: (TPESampler(cost="fit_time"), SuccessiveHalvingPruner()),
    "sksearch-halving-from-2": lambda k: ("tpe", SuccessiveHalvingPruner(min_resource=2)),
    "sksearch-halving-from-fold": lambda k: ("tpe", SuccessiveHalvingPruner(min_resource=k)),
    "sksearch-median": lambda k: ("tpe", MedianPruner(n_startup_trials=5)),
    "sksearch-hyperband": lambda k: ("tpe", HyperbandPruner()),
}
LIBRARIES = ["lightgbm", "xgboost"]


def space(library, max_rounds):
    """``{name: (kind, low, high, log)}``: twelve hyperparameters."""
    rounds = ("int", max(2, max_rounds // 10), max_rounds, False)
    common = {
        "n_estimators": rounds,
        "learning_rate": ("float", 0.01, 0.3, True),
        "min_child_weight": ("float", 1e-3, 10.0, True),
        "subsample": ("float", 0.5, 1.0, False),
        "colsample_bytree": ("float", 0.4, 1.0, False),
        "reg_alpha": ("float", 1e-8, 10.0, True),
        "reg_lambda": ("float", 1e-8, 10.0, True),
    }
    if library == "lightgbm":
        return {**common,
                "num_leaves": ("int", 4, 128, True),
                "max_depth": ("int", 3, 12, False),
                "min_child_samples": ("int", 5, 100, True),
                "min_split_gain": ("float", 1e-8, 1.0, True),
                "max_bin": ("int", 32, 255, False)}
    return {**common,
            "max_depth": ("int", 2, 10, False),
            "gamma": ("float", 1e-8, 5.0, True),
            "colsample_bylevel": ("float", 0.4, 1.0, False),
            "colsample_bynode": ("float", 0.4, 1.0, False),
            "max_bin": ("int", 32, 255, False)}


def scipy_space(spec):
    out = {}
    for name, (kind, low, high, log) in spec.items():
        if kind == "int":
            out[name] = randint(low, high + 1)  # log-int spaces drawn uniformly here
        else:
            out[name] = loguniform(low, high) if log else uniform(low, high - low)
    return out


def sksearch_space(spec):
    from sksearch.distributions import Float, Int

    return {name: (Int if kind == "int" else Float)(low, high, log=log)
            for name, (kind, low, high, log) in spec.items()}


def optuna_space(spec):
    from optuna.distributions import FloatDistribution, IntDistribution

    return {name: (IntDistribution if kind == "int" else FloatDistribution)(low, high, log=log)
            for name, (kind, low, high, log) in spec.items()}


def suggest(trial, spec):
    return {name: (trial.suggest_int if kind == "int" else trial.suggest_float)(
        name, low, high, log=log) for name, (kind, low, high, log) in spec.items()}


def make_estimator(library, seed, **params):
    if library == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(n_jobs=1, verbose=-1, subsample_freq=1,
                                       random_state=seed, **params)
    import xgboost

    return xgboost.XGBClassifier(n_jobs=1, tree_method="hist", random_state=seed, **params)


def optuna_recipe(library, spec, X, y, n_iter, cv, seed, n_jobs=2):
    """A Study whose objective runs the library's native cv with
    optuna-integration's pruning callback; returns (best params, n_trials
    pruned, fold fits)."""
    import optuna
    from optuna_integration import LightGBMPruningCallback, XGBoostPruningCallback

    folds = list(StratifiedKFold(cv).split(X, y))
    max_rounds = spec["n_estimators"][2]

    def objective(trial):
        params = suggest(trial, spec)
        n_rounds = params.pop("n_estimators")
        if library == "lightgbm":
            import lightgbm

            native = dict(objective="binary", metric="auc", verbose=-1, num_threads=1,
                          seed=seed, subsample_freq=1, **params)
            data = lightgbm.Dataset(X, y, params={"max_bin": params["max_bin"],
                                                  "verbose": -1})
            result = lightgbm.cv(native, data, num_boost_round=n_rounds, folds=folds,
                                 callbacks=[LightGBMPruningCallback(trial, "auc")])
            return result["valid auc-mean"][-1]
        import xgboost

        native = dict(objective="binary:logistic", eval_metric="auc", nthread=1, seed=seed,
                      tree_method="hist", **params)
        data = xgboost.DMatrix(X, y)
        result = xgboost.cv(native, data, num_boost_round=n_rounds, folds=folds,
                            callbacks=[XGBoostPruningCallback(trial, "test-auc")])
        return result["test-auc-mean"].iloc[-1]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=max(1, max_rounds // 50),
                                              max_resource=max_rounds))
    study.optimize(objective, n_trials=n_iter, n_jobs=n_jobs)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return study.best_params, pruned, len(study.trials) * cv


def run_arm(arm, library, spec, X_train, y_train, X_test, y_test, args, seed):
    """(wall seconds, best CV score, held-out AUC, fold fits, pruned)."""
    estimator = make_estimator(library, seed)
    common = dict(cv=args.cv, n_jobs=args.n_jobs, scoring="roc_auc", random_state=seed)
    start = time.perf_counter()
    pruned = 0
    if arm == "optuna-recipe":
        params, pruned, fold_fits = optuna_recipe(library, spec, X_train, y_train,
                                                  args.n_iter, args.cv, seed, args.n_jobs)
        model = make_estimator(library, seed, **params).fit(X_train, y_train)
        best = np.nan
    else:
        if arm in SKSEARCH_ARMS:
            sampler, pruner = SKSEARCH_ARMS[arm](args.k)
            search = BayesSearchCV(estimator, sksearch_space(spec), n_iter=args.n_iter,
                                   sampler=sampler, pruner=pruner,
                                   increments={"n_estimators": args.k}, **common)
        elif arm == "randomized":
            search = RandomizedSearchCV(estimator, scipy_space(spec), n_iter=args.n_iter,
                                        **common)
        elif arm == "halving":
            search = HalvingRandomSearchCV(estimator, scipy_space(spec),
                                           n_candidates=args.n_iter, factor=3, **common)
        else:
            from optuna_integration import OptunaSearchCV

            search = OptunaSearchCV(estimator, optuna_space(spec), n_trials=args.n_iter,
                                    cv=args.cv, n_jobs=args.n_jobs, scoring="roc_auc",
                                    random_state=seed, verbose=0)
        search.fit(X_train, y_train)
        model, best = search.best_estimator_, search.best_score_
        if arm in SKSEARCH_ARMS:
            fold_fits = search.n_fold_fits_
            pruned = sum(t.state.name == "PRUNED" for t in search.study_.trials)
        elif arm == "halving":
            fold_fits = int(np.sum(search.n_candidates_)) * args.cv
        elif arm == "optuna-search-cv":
            fold_fits = len(search.trials_) * args.cv
        else:
            fold_fits = args.n_iter * args.cv
    wall = time.perf_counter() - start
    test = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    return wall, best, test, fold_fits, pruned


def data(n_samples, seed):
    return make_classification(n_samples=n_samples, n_features=20, n_informative=10,
                               n_redundant=4, flip_y=0.05, class_sep=0.8,
                               random_state=seed)


def compare(args):
    rows = []
    # seeds outermost: a run stopped early still has every library per seed
    for seed in args.seed_list or range(args.seeds):
        for library in args.libraries:
            spec = space(library, args.max_rounds)
            X, y = data(args.n_samples + args.n_test, seed)
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=args.n_test, random_state=seed, stratify=y)
            for arm in args.arms:
                wall, best, test, fold_fits, pruned = run_arm(
                    arm, library, spec, X_train, y_train, X_test, y_test, args, seed)
                rows.append((library, seed, arm, wall, best, test, fold_fits, pruned))
                print(f"  {library} seed {seed} {arm:<17} {wall:7.1f} s  test {test:.4f}  "
                      f"fold fits {fold_fits}  pruned {pruned}", file=sys.stderr, flush=True)

    summarise(rows, args)


def summarise(rows, args):
    """The table: medians over seeds, ratios and deltas against the same
    seed's RandomizedSearchCV."""
    libraries = [lib for lib in LIBRARIES if any(r[0] == lib for r in rows)]
    arms = list(dict.fromkeys(r[2] for r in rows))
    print(f"\n{args.n_samples} rows searched, {args.n_test} held out, 20 features, "
          f"n_iter={args.n_iter}, cv={args.cv}, n_jobs={args.n_jobs}, "
          f"rounds up to {args.max_rounds}, "
          f"k={args.k} increments; medians over {len({r[1] for r in rows})} seeds; ratios "
          "vs randomized (held-out delta in AUC points x 1000 = thousandths)")
    print(f"{'library':<10}{'arm':<28}{'wall s':>8}{'wall/rand':>10}{'held-out':>10}"
          f"{'delta':>8}{'fold fits':>10}{'pruned':>8}{'seeds':>7}")
    for library in libraries:
        base = {r[1]: r for r in rows if r[0] == library and r[2] == "randomized"}
        for arm in arms:
            arm_rows = [r for r in rows if r[0] == library and r[2] == arm]
            wall = np.median([r[3] for r in arm_rows])
            paired = [r for r in arm_rows if r[1] in base]
            ratio = (np.median([r[3] / base[r[1]][3] for r in paired]) if paired else np.nan)
            delta = (np.median([1000 * (r[5] - base[r[1]][5]) for r in paired])
                     if paired else np.nan)
            print(f"{library:<10}{arm:<28}{wall:>8.1f}{ratio:>10.2f}"
                  f"{np.median([r[5] for r in arm_rows]):>10.4f}{delta:>+8.1f}"
                  f"{np.median([r[6] for r in arm_rows]):>10.0f}"
                  f"{np.median([r[7] for r in arm_rows]):>8.0f}{len(arm_rows):>7}")


def from_logs(paths):
    """Rows from the per-arm lines a run printed on stderr, so runs of
    different arms on the same seeds and data combine into one table."""
    pattern = re.compile(r"^\s+(\w+) seed (\d+) (\S+)\s+([\d.]+) s\s+test ([\d.]+)"
                         r"\s+fold fits (\d+)\s+pruned (\d+)")
    rows = []
    for path in paths:
        with open(path) as log:
            for line in log:
                match = pattern.match(line)
                if match:
                    lib, seed, arm, wall, test, fits, pruned = match.groups()
                    rows.append((lib, int(seed), arm, float(wall), np.nan, float(test),
                                 int(fits), int(pruned)))
    return rows


def overhead(args):
    """Seconds of one plain fit of ``max_rounds`` rounds against the same
    model grown in k increments (continued training), for each library; and,
    as the search now runs them under successive halving (its rungs at steps
    0, 2 and 8 with cv=5), a survivor's first fold in three fits (to the
    rungs and the end) and its second in two (to step 8's rung and the end)
    against two plain fits."""
    from sksearch._increments import Increments, fit_increment

    X, y = data(args.n_samples, 0)
    print(f"{len(X)} rows, 20 features, {args.max_rounds} rounds, one thread; "
          "median of 3 repeats")
    print(f"{'library':<10}{'k':>4}{'plain s':>9}{'grown s':>9}{'ratio':>7}"
          f"{'per increment s':>17}{'halving folds 0-1':>19}")
    for library in args.libraries + ["catboost"] * args.catboost:
        for k in (args.k, 2 * args.k):
            plain, grown, halving = [], [], []
            for _ in range(3):
                if library == "catboost":
                    import catboost

                    def make(library=library):
                        return catboost.CatBoostClassifier(
                            thread_count=1, verbose=0, allow_writing_files=False,
                            learning_rate=0.1, random_seed=0)
                else:
                    def make(library=library):
                        return make_estimator(library, 0, max_depth=6)
                start = time.perf_counter()
                make().set_params(n_estimators=args.max_rounds).fit(X, y)
                plain.append(time.perf_counter() - start)
                model = make()
                increments = Increments.from_spec({"n_estimators": k}, model)
                schedule = increments.schedule(model, {"n_estimators": args.max_rounds})
                start = time.perf_counter()
                for index in range(k):
                    model, _ = fit_increment(model, X, y, {}, increments, schedule, index)
                grown.append(time.perf_counter() - start)
                if k == 5:
                    start = time.perf_counter()
                    for spans in ([(0, 0), (1, 2), (3, 4)], [(0, 3), (4, 4)]):
                        model = make()
                        for first, last in spans:
                            model, _ = fit_increment(model, X, y, {}, increments, schedule,
                                                     first, last=last)
                    halving.append((time.perf_counter() - start) / 2)
            p, g = np.median(plain), np.median(grown)
            h = f"{np.median(halving) / p:>18.2f}x" if halving else ""
            print(f"{library:<10}{k:>4}{p:>9.2f}{g:>9.2f}{g / p:>7.2f}{(g - p) / k:>17.3f}{h}")


def exactness(args):
    """Mean CV AUC of subsampled candidates: grown in increments (continued
    training redraws the subsamples) against GridSearchCV's plain fits."""
    X, y = data(args.n_samples, 0)
    print(f"{args.n_samples} rows; {args.n_iter} random candidates of the benchmark's space "
          f"(rounds up to {args.max_rounds}); cv={args.cv}; k={args.k}")
    print(f"{'library':<10}{'median |diff|':>15}{'max |diff|':>12}{'mean diff':>11}"
          f"{'same winner':>13}")
    for library in args.libraries:
        spec = space(library, args.max_rounds)
        candidates = list(ParameterSampler(scipy_space(spec), args.n_iter, random_state=0))
        grid = [{name: [value] for name, value in c.items()} for c in candidates]
        estimator = make_estimator(library, 0)
        theirs = GridSearchCV(estimator, grid, cv=args.cv, scoring="roc_auc",
                              n_jobs=2).fit(X, y)
        ours = BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, cv=args.cv,
                             scoring="roc_auc", n_jobs=2,
                             increments={"n_estimators": args.k}).fit(X, y)
        diff = ours.cv_results_["mean_test_score"] - theirs.cv_results_["mean_test_score"]
        same = ours.best_index_ == theirs.best_index_
        print(f"{library:<10}{np.median(np.abs(diff)):>15.5f}{np.max(np.abs(diff)):>12.5f}"
              f"{np.mean(diff):>+11.5f}{str(same):>13}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-list", type=int, nargs="+", help="these seeds, not 0..seeds-1")
    parser.add_argument("--n-samples", type=int, default=16000, help="rows searched")
    parser.add_argument("--n-test", type=int, default=5000, help="rows held out")
    parser.add_argument("--n-iter", type=int, default=60)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2, help="workers of every arm")
    parser.add_argument("--max-rounds", type=int, default=500)
    parser.add_argument("--k", type=int, default=5, help="increments per fold")
    parser.add_argument("--libraries", nargs="+", default=LIBRARIES, choices=LIBRARIES)
    parser.add_argument("--arms", nargs="+", default=ARMS,
                        choices=ARMS + [a for a in SKSEARCH_ARMS if a not in ARMS])
    parser.add_argument("--quick", action="store_true",
                        help="1 seed, 1,000 rows, n_iter=8, cv=3, 60 rounds: a smoke run")
    parser.add_argument("--overhead", action="store_true")
    parser.add_argument("--catboost", type=int, default=1,
                        help="with --overhead: also CatBoost (0 to leave it out)")
    parser.add_argument("--exactness", action="store_true")
    parser.add_argument("--from-logs", nargs="+", metavar="LOG",
                        help="summarise the stderr of earlier runs (same seeds, data)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_samples, args.n_iter, args.cv, args.max_rounds = 1, 1000, 8, 3, 60
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        if args.overhead:
            overhead(args)
        elif args.exactness:
            exactness(args)
        elif args.from_logs:
            summarise(from_logs(args.from_logs), args)
        else:
            compare(args)


if __name__ == "__main__":
    main()
