"""Small-budget sampler benchmark (issue 32): sksearch auto / GP / TPE / CMA-ES
against Optuna (TPE, GP, CMA-ES), scikit-optimize's gp_minimize, SMAC3's
GP facade (BlackBoxFacade) and HEBO.

Problems: the synthetic suite of ``problems.py`` (known optima) and four real
scikit-learn tuning tasks on shipped datasets, each deterministic (fixed seeds in
the estimator and the CV): ``svc_digits`` (SVC C and gamma, 3-fold error on 600
digits); ``hgb_cancer`` (HistGradientBoosting's learning rate, leaves, leaf
size, L2 and feature fraction, 3-fold log loss on breast cancer); ``et_digits``
(ExtraTrees with 20 trees: feature fraction, leaf size and depth, log-scaled,
the split criterion and bootstrap; 3-fold error on the same 600 digits) and
``gbr_diabetes`` (GradientBoostingRegressor with 50 trees: learning rate
(log), depth, leaf size (log), row and feature fractions; 3-fold 1 - R^2 on
diabetes). A real task's regret is measured from the best value any run of any
arm found (its optimum is unknown); for the tasks scored by error rate the
report also gives each arm's gap to the best arm in misclassified samples.

Each run records every value the library's objective returned, in order, and
the time of each call, into a JSON lines file (``--out``); ``--report`` reads
one or several such files (the comparators may run in another virtualenv; of
two runs of the same problem, arm and seed the longer is kept)
and prints, per budget, the median simple regret over seeds per problem and
arm, each arm's wins (best median on a problem, ties within 1e-9 included),
and the geometric mean over problems of each arm's median regret divided by
the best arm's (regrets floored at 1e-9, at 1e-4 for the real tasks, so that
a solved problem counts as solved). ``--overhead`` times the whole loop per
trial on an instant objective (6-D Hartmann plus a 4-way categorical) at the
given trial counts: the median time between consecutive objective calls over
the 5 trials before the count, in CPU time of the process (less sensitive to
a loaded machine) and in wall time.

Comparators are not sksearch dependencies: install them into a separate
environment (``pip install -e . optuna cmaes torch scikit-optimize smac``). HEBO 0.3.6
needs numpy<1.25, so an environment of its own; a plain ``pip install HEBO`` backtracked
without end here, pinned it installs: ``pip install HEBO==0.3.6 numpy==1.24.4
scipy==1.11.4 scikit-learn==1.6.1 pandas==2.0.3 matplotlib==3.7.5 "contourpy<1.2"``.

    python benchmarks/small_budget.py --arms sksearch-gp,sksearch-tpe --seeds 10 \\
        --budget 100 --out /tmp/sb.jsonl
    python benchmarks/small_budget.py --report /tmp/sb.jsonl --budgets 10,20,30,50,100
    python benchmarks/small_budget.py --overhead --arms sksearch-gp,optuna-gp \\
        --counts 50,100,300
"""

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from problems import AUTO_TPE, PROBLEMS, Problem, hartmann6  # noqa: E402

from sksearch.distributions import Categorical, Float, Int  # noqa: E402

# -- real tuning tasks ------------------------------------------------------------------
_DATA = {}


def _data(name):
    if name not in _DATA:
        from sklearn.datasets import load_breast_cancer, load_digits
        from sklearn.model_selection import StratifiedKFold

        if name == "digits":
            X, y = load_digits(return_X_y=True)
            rows = np.random.default_rng(0).permutation(len(X))[:600]
            X, y = X[rows] / 16.0, y[rows]
        elif name == "diabetes":
            from sklearn.datasets import load_diabetes
            from sklearn.model_selection import KFold

            X, y = load_diabetes(return_X_y=True)
            _DATA[name] = (X, y, KFold(3, shuffle=True, random_state=0))
            return _DATA[name]
        else:
            X, y = load_breast_cancer(return_X_y=True)
        _DATA[name] = (X, y, StratifiedKFold(3, shuffle=True, random_state=0))
    return _DATA[name]


def svc_digits(p):
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y, cv = _data("digits")
    return 1.0 - cross_val_score(SVC(C=p["C"], gamma=p["gamma"]), X, y, cv=cv).mean()


def hgb_cancer(p):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    X, y, cv = _data("cancer")
    model = HistGradientBoostingClassifier(
        max_iter=20, early_stopping=False, random_state=0, learning_rate=p["learning_rate"],
        max_leaf_nodes=int(p["max_leaf_nodes"]), min_samples_leaf=int(p["min_samples_leaf"]),
        l2_regularization=p["l2_regularization"], max_features=p["max_features"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return -cross_val_score(model, X, y, cv=cv, scoring="neg_log_loss").mean()


def et_digits(p):
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.model_selection import cross_val_score

    X, y, cv = _data("digits")
    model = ExtraTreesClassifier(
        n_estimators=20, random_state=0, n_jobs=1, max_features=p["max_features"],
        min_samples_leaf=int(p["min_samples_leaf"]), max_depth=int(p["max_depth"]),
        criterion=p["criterion"], bootstrap=p["bootstrap"] == "yes")
    return 1.0 - cross_val_score(model, X, y, cv=cv).mean()


def gbr_diabetes(p):
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import cross_val_score

    X, y, cv = _data("diabetes")
    model = GradientBoostingRegressor(
        n_estimators=50, random_state=0, learning_rate=p["learning_rate"],
        max_depth=int(p["max_depth"]), min_samples_leaf=int(p["min_samples_leaf"]),
        subsample=p["subsample"], max_features=p["max_features"])
    return 1.0 - cross_val_score(model, X, y, cv=cv, scoring="r2").mean()


REAL = {
    "svc_digits": Problem("svc_digits", svc_digits, None, "real",
                          {"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1.0, log=True)}),
    "hgb_cancer": Problem("hgb_cancer", hgb_cancer, None, "real", {
        "learning_rate": Float(1e-3, 1.0, log=True), "max_leaf_nodes": Int(2, 64, log=True),
        "min_samples_leaf": Int(1, 100, log=True),
        "l2_regularization": Float(1e-6, 10.0, log=True), "max_features": Float(0.1, 1.0)}),
    "et_digits": Problem("et_digits", et_digits, None, "real", {
        "max_features": Float(0.02, 0.5, log=True), "min_samples_leaf": Int(1, 32, log=True),
        "max_depth": Int(2, 32, log=True), "criterion": Categorical(["gini", "entropy"]),
        "bootstrap": Categorical(["no", "yes"])}),
    "gbr_diabetes": Problem("gbr_diabetes", gbr_diabetes, None, "real", {
        "learning_rate": Float(1e-3, 1.0, log=True), "max_depth": Int(1, 8),
        "min_samples_leaf": Int(1, 64, log=True), "subsample": Float(0.3, 1.0),
        "max_features": Float(0.1, 1.0)}),
}
# real tasks scored by the 3-fold error rate: the samples they score (one misclassified
# sample moves the error by 1 / n), so that a gap can be read in CV samples
ERROR_RATE_SAMPLES = {"svc_digits": 600, "et_digits": 600}
# the default suite; the spaces auto hands to TPE are run on request
# (``--problems categorical_heavy,nested``) and reported separately
SUITE = {**PROBLEMS, **REAL}
ALL = {**SUITE, **AUTO_TPE}

# the conditional problem's parameters, flattened for libraries without define-by-run
# (skopt), and which branch each belongs to (SMAC's conditions)
_CONDITIONAL_FLAT = {"branch": Categorical(["quad", "bowl", "flat"]), "x": Float(-5, 5),
                     "u": Float(0, 1), "v": Float(0, 1), "k": Int(1, 10), "w": Float(-2, 2)}
_CONDITION = {"x": "quad", "u": "bowl", "v": "bowl", "k": "bowl", "w": "flat"}


def _flat_space(problem):
    return _CONDITIONAL_FLAT if problem.space is None else problem.space


# -- the instant overhead objective -----------------------------------------------------
def _overhead_define(trial):
    p = {f"x{i}": trial.suggest_float(f"x{i}", 0, 1) for i in range(6)}
    p["c"] = trial.suggest_categorical("c", ["a", "b", "c", "d"])
    return p


def _overhead_fn(p):
    return hartmann6(p) + {"a": 0.0, "b": 0.1, "c": 0.2, "d": 0.3}[p["c"]]


OVERHEAD = Problem("overhead", _overhead_fn, -3.32237, "mixed",
                   {**{f"x{i}": Float(0, 1) for i in range(6)},
                    "c": Categorical(["a", "b", "c", "d"])}, define=_overhead_define)


# -- arms ------------------------------------------------------------------------------
class _Recorder:
    """The objective as each library calls it: records every value and the time."""

    def __init__(self, problem):
        self.problem, self.values, self.stamps, self.cpu = problem, [], [], []

    def __call__(self, params):
        self.stamps.append(time.perf_counter())
        self.cpu.append(time.process_time())
        value = float(self.problem.fn(params))
        self.values.append(value)
        return value

    def trial_objective(self, trial):  # sksearch's and Optuna's trials
        return self(self.problem.define(trial))


def _run_sksearch(name, recorder, seed, n):
    from sksearch import Study

    study = Study(direction="minimize", sampler=name, random_state=seed)
    study.optimize(recorder.trial_objective, n_trials=n)
    return study.system_attrs.get("auto:sampler")


def _run_optuna(name, recorder, seed, n):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed),
               "gp": lambda: optuna.samplers.GPSampler(seed=seed),
               "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed)}[name]()
    optuna.create_study(sampler=sampler).optimize(recorder.trial_objective, n_trials=n)


def _skopt_dimension(name, dist):
    from skopt.space import Categorical as SCat
    from skopt.space import Integer, Real

    if isinstance(dist, Categorical):
        return SCat(list(dist.choices), name=name)
    prior = "log-uniform" if dist.log else "uniform"
    if isinstance(dist, Int):
        return Integer(dist.low, dist.high, prior=prior, name=name)
    return Real(dist.low, dist.high, prior=prior, name=name)


def _run_skopt(recorder, seed, n):
    from skopt import gp_minimize

    space = _flat_space(recorder.problem)
    names = list(space)
    dims = [_skopt_dimension(k, space[k]) for k in names]
    gp_minimize(lambda x: recorder(dict(zip(names, x))), dims, n_calls=n,
                n_initial_points=min(10, n), random_state=seed)


def _configspace(problem, seed):
    from ConfigSpace import Categorical as CCat
    from ConfigSpace import ConfigurationSpace, EqualsCondition
    from ConfigSpace import Float as CFloat
    from ConfigSpace import Integer as CInt

    cs = ConfigurationSpace(seed=seed)
    space = _flat_space(problem)
    hps = {}
    for k, d in space.items():
        if isinstance(d, Categorical):
            hps[k] = CCat(k, list(d.choices))
        elif isinstance(d, Int):
            hps[k] = CInt(k, (d.low, d.high), log=d.log)
        else:
            hps[k] = CFloat(k, (d.low, d.high), log=d.log)
    cs.add(list(hps.values()))
    if problem.space is None:
        cs.add([EqualsCondition(hps[k], hps["branch"], b) for k, b in _CONDITION.items()])
    return cs


def _run_smac(recorder, seed, n):
    from smac import BlackBoxFacade, Scenario

    with tempfile.TemporaryDirectory() as out:
        scenario = Scenario(_configspace(recorder.problem, seed), deterministic=True,
                            n_trials=n, seed=seed, output_directory=os.path.join(out, "smac"))
        smac = BlackBoxFacade(scenario, lambda config, seed=0: recorder(dict(config)),
                              overwrite=True, logging_level=40)
        smac.optimize()


def _hebo_parameter(name, dist):
    if isinstance(dist, Categorical):
        return {"name": name, "type": "cat", "categories": list(dist.choices)}
    kind = ("pow" if dist.log else "num") if isinstance(dist, Float) else (
        "pow_int" if dist.log else "int")
    return {"name": name, "type": kind, "lb": dist.low, "ub": dist.high}


def _run_hebo(recorder, seed, n):
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    # HEBO draws from the global generators; seed them for repeatable runs
    np.random.seed(seed)  # noqa: NPY002 - the generator HEBO itself draws from
    torch.manual_seed(seed)
    space = _flat_space(recorder.problem)  # no conditions: the conditional space flattened
    optimizer = HEBO(DesignSpace().parse([_hebo_parameter(k, d) for k, d in space.items()]),
                     scramble_seed=seed)
    for _ in range(n):
        suggestion = optimizer.suggest(n_suggestions=1)
        params = {k: v.item() if hasattr(v, "item") else v
                  for k, v in suggestion.iloc[0].to_dict().items()}
        optimizer.observe(suggestion, np.array([[recorder(params)]]))


def run_arm(arm, problem, seed, n):
    """Run ``arm`` on ``problem``; the recorder and what sksearch's auto chose."""
    recorder = _Recorder(problem)
    library, _, name = arm.partition("-")
    chosen = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if library == "sksearch":
            chosen = _run_sksearch(name, recorder, seed, n)
        elif library == "optuna":
            _run_optuna(name, recorder, seed, n)
        elif arm == "skopt-gp":
            _run_skopt(recorder, seed, n)
        elif arm == "smac-gp":
            _run_smac(recorder, seed, n)
        elif arm == "hebo":
            _run_hebo(recorder, seed, n)
        else:
            raise ValueError(arm)
    return recorder, chosen


def _job(job):
    problem_name, arm, seed, n = job
    start = time.perf_counter()
    recorder, chosen = run_arm(arm, ALL[problem_name], seed, n)
    return {"problem": problem_name, "arm": arm, "seed": seed, "values": recorder.values,
            "seconds": time.perf_counter() - start, "chosen": chosen}


def run(arms, problems, seeds, n, processes, out):
    # seed by seed, so that a run stopped early holds every problem for its first seeds
    jobs = [(p, arm, seed, n) for seed in seeds for p in problems for arm in arms]
    with open(out, "a") as f:
        if processes == 1:  # in this process: one process to watch and to stop
            results, pool = map(_job, jobs), None
        else:
            pool = Pool(processes)
            results = pool.imap_unordered(_job, jobs)
        try:
            for result in results:
                # one whole line per finished run: a stopped run leaves nothing behind
                f.write(json.dumps(result) + "\n")
                f.flush()
                print(f"{result['problem']:<18}{result['arm']:<16}seed {result['seed']:<3}"
                      f"{result['seconds']:7.1f} s", flush=True)
        finally:
            if pool is not None:
                pool.terminate()


# -- report ----------------------------------------------------------------------------
def _load(paths):
    runs = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = (r["problem"], r["arm"], r["seed"])
                # a longer run of the same arm and seed supersedes a shorter one (a
                # 100-trial rerun reports every budget; a 50-trial one only up to 50)
                if key not in runs or len(r["values"]) >= len(runs[key]["values"]):
                    runs[key] = r
    return list(runs.values())


def report(paths, budgets, arms=None, only=None):
    runs = _load(paths)
    arms = arms or sorted({r["arm"] for r in runs})
    problems = [p for p in ALL if any(r["problem"] == p for r in runs)
                and (only is None or p in only)]
    refs = {}
    for p in problems:
        if ALL[p].optimum is not None:
            refs[p] = ALL[p].optimum
        else:
            refs[p] = min(min(r["values"]) for r in runs if r["problem"] == p)
    for budget in budgets:
        _report_budget(runs, arms, problems, refs, budget)
    chosen = sorted({(r["problem"], r["chosen"]) for r in runs if r.get("chosen")})
    if chosen:
        print("auto chose: " + ", ".join(f"{p}: {c}" for p, c in chosen))


def _report_budget(runs, arms, problems, refs, budget):
    median, n_seeds = {}, {}
    for p in problems:
        floor = 1e-4 if ALL[p].optimum is None else 1e-9
        for arm in arms:
            regrets = [max(min(r["values"][:budget]) - refs[p], floor) for r in runs
                       if r["problem"] == p and r["arm"] == arm and len(r["values"]) >= budget]
            if regrets:
                median[(p, arm)] = float(np.median(regrets))
                n_seeds.setdefault(arm, []).append(len(regrets))
    arms = [a for a in arms if all((p, a) in median for p in problems)]
    if not arms:
        return
    seeds = {a: f"{min(n_seeds[a])}" if min(n_seeds[a]) == max(n_seeds[a])
             else f"{min(n_seeds[a])}-{max(n_seeds[a])}" for a in arms}
    print(f"\n### {budget} trials: median simple regret (seeds per arm, fewest-most over "
          "the problems: " + ", ".join(f"{a} {seeds[a]}" for a in arms) + ")\n")
    print("| problem | " + " | ".join(arms) + " |")
    print("|---" * (len(arms) + 1) + "|")
    ratios = {a: [] for a in arms}
    wins = dict.fromkeys(arms, 0)
    for p in problems:
        best = min(median[(p, a)] for a in arms)
        cells = []
        for a in arms:
            m = median[(p, a)]
            ratios[a].append(m / best)
            won = m <= best * (1 + 1e-9)
            wins[a] += won
            cells.append(f"**{m:.3g}**" if won else f"{m:.3g}")
        print(f"| {p} | " + " | ".join(cells) + " |")
    print("| geo-mean ratio to best | " + " | ".join(
        f"{np.exp(np.mean(np.log(ratios[a]))):.2f}" for a in arms) + " |")
    print("| worst ratio | " + " | ".join(f"{max(ratios[a]):.3g}" for a in arms) + " |")
    print("| wins | " + " | ".join(str(wins[a]) for a in arms) + " |")
    _report_samples(runs, arms, [p for p in problems if p in ERROR_RATE_SAMPLES], budget)


def _report_samples(runs, arms, problems, budget):
    """Error-rate tasks: each arm's median error minus the best arm's, in CV samples."""
    if not problems:
        return
    print(f"\n{budget} trials, real tasks scored by 3-fold error: median best error minus "
          "the best arm's, times the samples scored (misclassified samples behind the "
          "best arm)\n")
    print("| problem (samples) | " + " | ".join(arms) + " |")
    print("|---" * (len(arms) + 1) + "|")
    for p in problems:
        errors = {a: float(np.median([min(r["values"][:budget]) for r in runs
                                      if r["problem"] == p and r["arm"] == a
                                      and len(r["values"]) >= budget])) for a in arms}
        best = min(errors.values())
        n = ERROR_RATE_SAMPLES[p]
        print(f"| {p} ({n}) | " + " | ".join(f"{(errors[a] - best) * n:.1f}" for a in arms)
              + " |")


# -- overhead --------------------------------------------------------------------------
def overhead(arms, counts):
    print("Per-trial time of the whole loop (ms), instant 7-D mixed objective: median "
          "over the 5 trials before each count; CPU time of the process (all its "
          "threads), then wall time")
    print("| arm | " + " | ".join(f"{c} trials (CPU / wall)" for c in counts) + " |")
    print("|---" * (len(counts) + 1) + "|")
    for arm in arms:
        recorder = _Recorder(OVERHEAD)
        library, _, name = arm.partition("-")
        n = max(counts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if library == "sksearch":
                _run_sksearch(name, recorder, 0, n)
            elif library == "optuna":
                _run_optuna(name, recorder, 0, n)
            elif arm == "skopt-gp":
                _run_skopt(recorder, 0, n)
            elif arm == "hebo":
                _run_hebo(recorder, 0, n)
            else:
                _run_smac(recorder, 0, n)
        wall, cpu = np.diff(recorder.stamps) * 1000, np.diff(recorder.cpu) * 1000
        cells = [f"{np.median(cpu[c - 6:c - 1]):.1f} / {np.median(wall[c - 6:c - 1]):.1f}"
                 if len(wall) >= c - 1 else "-" for c in counts]
        print(f"| {arm} | " + " | ".join(cells) + " |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="sksearch-auto,sksearch-gp,sksearch-tpe,"
                        "sksearch-cmaes,optuna-tpe,optuna-gp,optuna-cmaes,skopt-gp,smac-gp")
    parser.add_argument("--problems", default=",".join(SUITE))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--out", default="small_budget.jsonl")
    parser.add_argument("--report", nargs="*")
    parser.add_argument("--budgets", default="10,20,30,50,100")
    parser.add_argument("--overhead", action="store_true")
    parser.add_argument("--counts", default="50,100,300")
    args = parser.parse_args()
    arms = args.arms.split(",")
    if args.report:
        report(args.report, [int(b) for b in args.budgets.split(",")],
               None if "--arms" not in sys.argv else arms,
               None if "--problems" not in sys.argv else args.problems.split(","))
    elif args.overhead:
        overhead(arms, [int(c) for c in args.counts.split(",")])
    else:
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        run(arms, args.problems.split(","), seeds, args.budget, args.processes, args.out)


if __name__ == "__main__":
    main()
