"""Each pruner's decision rule on hand-built histories."""

import numpy as np
import pytest

from sksearch import Study, TrialPruned, TrialState
from sksearch.distributions import Float
from sksearch.pruners import (
    BasePruner,
    BoundPruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PercentilePruner,
    StepLayout,
    SuccessiveHalvingPruner,
    WilcoxonPruner,
    get_pruner,
)
from sksearch.pruners._base import PrunerStudy
from sksearch.pruners._bounds import score_upper_bound
from sksearch.samplers import RandomSampler


def make_study(pruner, direction="maximize", folds=None, per_fold=1):
    study = Study(direction=direction, pruner=pruner)
    if folds is not None:
        study.set_system_attr("sksearch:steps_are_folds", True)
        study.set_system_attr("sksearch:steps_per_fold", per_fold)
        study.set_system_attr("sksearch:n_steps", folds * per_fold)
    return study


def add_trial(study, values, state=TrialState.COMPLETE):
    trial = study.ask()
    for step, value in enumerate(values):
        trial.report(value, step)
    final = float(np.mean(values)) if state is TrialState.COMPLETE else None
    study.tell(trial, final, state=state)


def running(study, values):
    trial = study.ask()
    for step, value in enumerate(values):
        trial.report(value, step)
    return trial


# -- median / percentile ------------------------------------------------------------

@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_median_prunes_worse_than_median_in_both_directions(direction):
    sign = 1 if direction == "maximize" else -1
    study = make_study(MedianPruner(n_startup_trials=3), direction)
    for v in (0.9, 0.8, 0.7):
        add_trial(study, [sign * v, sign * v])
    assert running(study, [sign * 0.75]).should_prune()
    assert not running(study, [sign * 0.85]).should_prune()
    assert not running(study, [sign * 0.8]).should_prune()  # a tie with the median stays


def test_median_startup_warmup_and_interval():
    study = make_study(MedianPruner(n_startup_trials=3, n_warmup_steps=1, interval_steps=2))
    for v in (0.9, 0.8):
        add_trial(study, [v] * 5)
    assert not running(study, [0.1]).should_prune()  # only 2 complete trials
    add_trial(study, [0.85] * 5)
    assert not running(study, [0.1]).should_prune()  # step 0 < warm-up
    assert running(study, [0.1, 0.1]).should_prune()  # step 1
    assert not running(study, [0.1, 0.1, 0.1]).should_prune()  # step 2: off-interval
    assert running(study, [0.1] * 4).should_prune()  # step 3


def test_folds_compare_running_means_not_single_folds():
    # Fold 1 is hard for everyone. A candidate with a low fold-1 score but a
    # good mean over folds 0-1 must survive; an epoch-style comparison of the
    # raw value at step 1 would prune it.
    history = [[0.9, 0.5], [0.9, 0.5], [0.92, 0.52]]
    candidate = [0.99, 0.48]
    as_folds = make_study(MedianPruner(n_startup_trials=1), folds=5)
    as_epochs = make_study(MedianPruner(n_startup_trials=1))
    for study in (as_folds, as_epochs):
        for values in history:
            add_trial(study, values)
    assert not running(as_folds, candidate).should_prune()
    assert running(as_epochs, candidate).should_prune()


def test_all_equal_scores_never_prune_and_nan_prunes():
    study = make_study(MedianPruner(n_startup_trials=1), folds=3)
    for _ in range(4):
        add_trial(study, [0.5, 0.5, 0.5])
    assert not running(study, [0.5, 0.5]).should_prune()
    assert running(study, [float("nan")]).should_prune()


def test_percentile_25_keeps_only_the_best_quarter():
    study = make_study(PercentilePruner(25, n_startup_trials=4))
    for v in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        add_trial(study, [v])
    assert running(study, [0.6]).should_prune()
    assert not running(study, [0.7]).should_prune()


@pytest.mark.parametrize("kwargs, match", [
    (dict(percentile=120), "percentile"), (dict(percentile=50, n_startup_trials=-1),
                                           "n_startup_trials"),
    (dict(percentile=50, interval_steps=0), "interval_steps"),
])
def test_percentile_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PercentilePruner(**kwargs)


# -- successive halving / hyperband ---------------------------------------------------

def test_halving_rungs_and_keep_fraction():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert [pruner._rung_of(r) for r in (1, 2, 3, 4, 9)] == [0, None, 1, None, 2]
    study = make_study(pruner, folds=9)
    assert not running(study, [0.5]).should_prune()  # alone at the rung: promoted
    for v in (0.9, 0.8, 0.7, 0.6, 0.55):
        add_trial(study, [v] * 9)
    # 6 trials at rung 0 with it: keep the best 2
    assert running(study, [0.85]).should_prune() is False
    assert running(study, [0.75]).should_prune() is True
    assert running(study, [0.95, 0.1]).should_prune() is False  # resource 2: no rung


def test_halving_min_early_stopping_rate_delays_pruning():
    study = make_study(SuccessiveHalvingPruner(min_early_stopping_rate=1), folds=9)
    for v in (0.9, 0.8, 0.7, 0.6):
        add_trial(study, [v] * 9)
    assert not running(study, [0.1]).should_prune()  # resource 1 is no rung any more
    assert running(study, [0.1, 0.1, 0.1]).should_prune()  # resource 3 is


def test_hyperband_brackets_are_deterministic_and_cover_all():
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    brackets = [pruner.bracket_of(n, 3) for n in range(200)]
    assert brackets == [pruner.bracket_of(n, 3) for n in range(200)]
    counts = np.bincount(brackets, minlength=3)
    assert set(brackets) == {0, 1, 2}
    assert counts[0] > counts[2]  # aggressive brackets start more trials
    study = make_study(HyperbandPruner(), folds=9)
    for v in np.linspace(0.5, 0.9, 30):
        add_trial(study, [v] * 9)
    decisions = [running(study, [0.1] * 3).should_prune() for _ in range(12)]
    assert any(decisions)


# -- wilcoxon -----------------------------------------------------------------------------

@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_wilcoxon_prunes_consistently_worse_in_both_directions(direction):
    sign = 1 if direction == "maximize" else -1
    study = make_study(WilcoxonPruner(p_threshold=0.1), direction, folds=10)
    incumbent = np.array([0.9, 0.8, 0.85, 0.95, 0.9, 0.88, 0.92, 0.86, 0.9, 0.91])
    add_trial(study, list(sign * incumbent))
    worse = sign * (incumbent - 0.05)
    assert not running(study, list(worse[:3])).should_prune()  # 3 pairs: p >= 0.125
    assert running(study, list(worse[:4])).should_prune()
    better = sign * (incumbent + 0.01)
    assert not running(study, list(better[:6])).should_prune()


def test_wilcoxon_ties_and_zero_differences():
    study = make_study(WilcoxonPruner(p_threshold=0.2, repeat_steps=None), folds=6)
    add_trial(study, [0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    assert not running(study, [0.8] * 5).should_prune()  # all differences zero
    # mostly equal, one fold slightly worse: zsplit keeps it from being pruned
    assert not running(study, [0.8, 0.8, 0.8, 0.8, 0.79]).should_prune()
    assert running(study, [0.7, 0.7, 0.75, 0.7, 0.7]).should_prune()


def test_wilcoxon_pairs_by_fold_index_in_shuffled_order():
    study = make_study(WilcoxonPruner(p_threshold=0.1), folds=6)
    add_trial(study, [0.9, 0.5, 0.9, 0.5, 0.9, 0.5])  # folds alternate hard/easy
    trial = study.ask()
    for fold in (1, 3, 5, 0):  # hard folds first, then one easy fold
        trial.report({0: 0.92, 1: 0.52, 3: 0.52, 5: 0.52}[fold], fold)
    assert not trial.should_prune()  # better on every shared fold
    assert WilcoxonPruner().shuffle_folds is True


# -- repeats of the incumbent ----------------------------------------------------------

REPEAT_PRUNERS = [
    lambda **kw: MedianPruner(n_startup_trials=0, **kw),
    lambda **kw: PercentilePruner(25.0, n_startup_trials=0, **kw),
    lambda **kw: SuccessiveHalvingPruner(**kw),
    lambda **kw: HyperbandPruner(**kw),
    lambda **kw: WilcoxonPruner(p_threshold=0.01, **kw),
]
INCUMBENT = [0.9, 0.8, 0.85, 0.9, 0.95]


@pytest.mark.parametrize("make", REPEAT_PRUNERS)
@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_repeat_of_the_incumbent_is_pruned_at_repeat_steps(make, direction):
    sign = 1 if direction == "maximize" else -1
    study = make_study(make(), direction, folds=5)
    add_trial(study, [sign * v for v in INCUMBENT])
    add_trial(study, [sign * 0.5] * 5)
    same = [sign * v for v in INCUMBENT]
    assert not running(study, same[:2]).should_prune()  # two equal folds: not yet
    assert running(study, same[:3]).should_prune()
    assert running(study, same[:4]).should_prune()
    # better on one fold: not a repeat, and no other rule has grounds to prune it
    assert not running(study, same[:2] + [sign * 0.86]).should_prune()
    # a hair worse on one fold is not a repeat either (a rule may still prune it,
    # but not this one: with the default off it is kept too)
    study_off = make_study(make(repeat_steps=None), direction, folds=5)
    add_trial(study_off, [sign * v for v in INCUMBENT])
    assert not running(study_off, same[:4]).should_prune()


@pytest.mark.parametrize("make", REPEAT_PRUNERS)
def test_repeat_steps_counts_steps_and_follows_the_incumbent(make):
    study = make_study(make(repeat_steps=1), folds=5)
    assert not running(study, [0.9]).should_prune()  # no incumbent yet
    add_trial(study, INCUMBENT)
    assert running(study, [0.9]).should_prune()


def test_only_a_repeat_of_the_best_trial_counts():
    from sksearch.pruners._base import StepLayout, repeats_incumbent

    study = make_study(MedianPruner(), folds=5)
    layout = StepLayout.of(study)
    add_trial(study, [0.94] * 5)
    add_trial(study, [0.95] * 5)
    add_trial(study, [0.95] * 5)  # equal to the best: the earlier one stays the incumbent
    for values, expected in (([0.94, 0.94], False), ([0.95, 0.95], True), ([0.95], False)):
        trial = running(study, values)
        frozen = study._storage.get_trial(trial._trial_id)
        assert repeats_incumbent(study, frozen, 2, layout) is expected
        assert repeats_incumbent(study, frozen, None, layout) is False


def test_repeats_only_where_steps_are_folds():
    # in a plain study equal first epochs do not make the same model (a trial
    # with a longer schedule shares the best one's start exactly)
    study = Study(direction="maximize",
                  pruner=MedianPruner(n_startup_trials=9, repeat_steps=1))
    best = study.ask()
    for step in (0, 10, 20, 30):
        best.report(step / 100, step)
    study.tell(best, 0.3)
    trial = study.ask()
    for step in (0, 10, 20):
        trial.report(step / 100, step)
    assert not trial.should_prune()
    # increments: only whole folds (the last increment of each) are compared
    study = make_study(MedianPruner(n_startup_trials=9, repeat_steps=2), folds=3, per_fold=2)
    add_trial(study, [0.5, 0.9, 0.6, 0.8, 0.7, 0.85])
    assert running(study, [0.1, 0.9, 0.2, 0.8]).should_prune()  # folds 0 and 1 equal
    assert not running(study, [0.5, 0.9, 0.6]).should_prune()  # one fold finished


@pytest.mark.parametrize("cls", [MedianPruner, SuccessiveHalvingPruner, HyperbandPruner,
                                 WilcoxonPruner])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_repeat_steps_validation(cls, bad):
    with pytest.raises(ValueError, match="repeat_steps"):
        cls(repeat_steps=bad)
    with pytest.raises(ValueError, match="repeat_steps"):
        PercentilePruner(25.0, repeat_steps=bad)


def test_bound_pruner_keeps_repeats():
    # its guarantee (GridSearchCV's winner) would not survive pruning on equality
    study = make_study(BoundPruner(bound=1.0), folds=5)
    add_trial(study, INCUMBENT)
    assert not running(study, INCUMBENT[:4]).should_prune()


# -- bound ------------------------------------------------------------------------------------

def test_bound_prunes_only_what_cannot_reach_the_incumbent():
    study = make_study(BoundPruner(bound=1.0), folds=4)
    add_trial(study, [0.9, 0.9, 0.9, 0.9])
    assert running(study, [0.5]).should_prune()  # (0.5 + 3) / 4 = 0.875 < 0.9
    assert not running(study, [0.6]).should_prune()  # (0.6 + 3) / 4 = 0.9: could tie
    assert not running(study, [0.7, 0.9]).should_prune()  # 0.9 exactly: could tie
    assert running(study, [0.7, 0.89]).should_prune()
    assert running(study, [float("nan")]).should_prune()


def test_bound_reads_scorer_bounds_and_requires_one():
    study = make_study(BoundPruner(), folds=3)
    study.set_system_attr("sksearch:scoring", "neg_mean_squared_error")
    BoundPruner().setup(study)
    add_trial(study, [-1.0, -1.0, -1.0])
    assert running(study, [-4.0]).should_prune()  # (-4 + 0 + 0) / 3 < -1
    assert not running(study, [-2.0]).should_prune()
    study.set_system_attr("sksearch:scoring", None)
    with pytest.raises(ValueError, match="no known bound"):
        BoundPruner().setup(study)


def test_score_bounds_table():
    assert score_upper_bound("accuracy") == 1.0
    assert score_upper_bound("f1_macro") == 1.0
    assert score_upper_bound("roc_auc_ovr_weighted") == 1.0
    assert score_upper_bound("neg_log_loss") == 0.0
    assert score_upper_bound("r2") == 1.0
    assert score_upper_bound("max_error") is None
    assert score_upper_bound(None) is None


# -- shortcuts ------------------------------------------------------------------------------

def test_get_pruner_names_and_errors():
    assert isinstance(get_pruner(None), NopPruner)
    assert isinstance(get_pruner("median"), MedianPruner)
    assert get_pruner("percentile").percentile == 25.0
    assert isinstance(get_pruner("bound"), BoundPruner)
    assert isinstance(get_pruner("hyperband"), HyperbandPruner)
    with pytest.raises(ValueError, match="not a known pruner name"):
        get_pruner("sometimes")
    with pytest.raises(TypeError, match="pruner must be"):
        get_pruner(3)


# -- folds cut into increments (steps f * k + i) ----------------------------------

def test_evidence_mixes_finished_folds_with_the_increment_in_progress():
    from sksearch.pruners._base import evidence, fold_scores

    study = make_study(MedianPruner(n_startup_trials=1), folds=3, per_fold=2)
    trial = running(study, [0.5, 0.8, 0.6, 0.9, 0.7])
    frozen = study._storage.get_trial(trial._trial_id)
    assert evidence(frozen, 0, True, 2) == 0.5  # fold 0 after its first increment
    assert evidence(frozen, 1, True, 2) == 0.8  # fold 0 finished
    assert evidence(frozen, 2, True, 2) == pytest.approx((0.8 + 0.6) / 2)
    assert evidence(frozen, 4, True, 2) == pytest.approx((0.8 + 0.9 + 0.7) / 3)
    assert evidence(frozen, 5, True, 2) is None
    assert fold_scores(frozen, 2) == {0: 0.8, 1: 0.9}


def test_median_prunes_mid_fold_against_others_at_the_same_increment():
    study = make_study(MedianPruner(n_startup_trials=3), folds=2, per_fold=3)
    for finals in ([0.5, 0.7, 0.9, 0.6, 0.8, 0.9], [0.4, 0.6, 0.8, 0.5, 0.7, 0.8],
                   [0.3, 0.5, 0.7, 0.4, 0.6, 0.7]):
        add_trial(study, finals)
    # after the first increment the others stood at 0.5, 0.4, 0.3 (median 0.4)
    assert running(study, [0.35]).should_prune()
    assert not running(study, [0.45]).should_prune()
    # fold 1, increment 0: the others' evidence is mean(fold-0 score, 0.6/0.5/0.4)
    assert running(study, [0.4, 0.6, 0.8, 0.4]).should_prune()  # 0.6 < median 0.65
    assert not running(study, [0.4, 0.6, 0.8, 0.55]).should_prune()  # 0.675


def test_bound_and_wilcoxon_ignore_partial_scores():
    study = make_study(BoundPruner(bound=1.0), folds=4, per_fold=2)
    add_trial(study, [0.9] * 8)
    # a dreadful first increment proves nothing about the fold's final score
    assert not running(study, [0.0]).should_prune()
    # a finished fold of 0.5: best case (0.5 + 3) / 4 = 0.875 < 0.9
    assert running(study, [0.0, 0.5]).should_prune()

    study = make_study(WilcoxonPruner(n_startup_steps=2), folds=5, per_fold=2)
    add_trial(study, [0.0, 0.9, 0.0, 0.8, 0.0, 0.85, 0.0, 0.95, 0.0, 0.9])
    # partial scores far above the incumbent's do not count; the fold scores do
    trial = running(study, [1.0, 0.8, 1.0, 0.7, 1.0, 0.8, 1.0, 0.9])
    assert trial.should_prune()


# -- where a pruner may decide (the contract the search's tasks rely on) --------------

FOLDS, PER_FOLD = 4, 5
CONTRACT = [
    SuccessiveHalvingPruner(),
    SuccessiveHalvingPruner(min_resource=2, reduction_factor=2, min_early_stopping_rate=1),
    HyperbandPruner(),
    HyperbandPruner(min_resource=2, reduction_factor=2),
    MedianPruner(n_startup_trials=2),
    MedianPruner(n_startup_trials=1, n_warmup_steps=3, interval_steps=4),
    PercentilePruner(75.0, n_startup_trials=1),
    BoundPruner(bound=1.0),
    WilcoxonPruner(n_startup_steps=2),
    NopPruner(),
]


@pytest.mark.parametrize("pruner", CONTRACT, ids=repr)
def test_prune_stops_trials_only_at_the_steps_it_declares(pruner):
    # random histories with repeats of the incumbent, NaNs and ties: prune()
    # is never True at a step inside a fold that decision_steps leaves out
    from sksearch.pruners._base import StepLayout

    layout = StepLayout(folds=True, per_fold=PER_FOLD, n_steps=FOLDS * PER_FOLD)
    declared = pruner.decision_steps(layout)
    assert declared is not None
    fold_ends = {f * PER_FOLD + PER_FOLD - 1 for f in range(FOLDS)}
    rng = np.random.default_rng(0)
    pruned_anywhere = 0
    for history in range(12):
        study = make_study(pruner, folds=FOLDS, per_fold=PER_FOLD)
        best = rng.uniform(0.6, 0.9, FOLDS * PER_FOLD)
        add_trial(study, list(best))
        for _ in range(int(rng.integers(2, 8))):
            add_trial(study, list(rng.uniform(0.5, 0.9, FOLDS * PER_FOLD)),
                      state=TrialState.COMPLETE if rng.random() < 0.6 else TrialState.PRUNED)
        values = best.copy() if history % 3 == 0 else rng.uniform(0.3, 0.95, len(best))
        if history % 4 == 1:
            values[int(rng.integers(len(values)))] = np.nan
        trial = study.ask()
        for step, value in enumerate(values):
            trial.report(float(value), step)
            if pruner.prune(study, study.get_trials()[-1]):
                pruned_anywhere += 1
                assert step in declared or step in fold_ends, (step, sorted(declared))
                break
    if not isinstance(pruner, NopPruner):
        assert pruned_anywhere > 0  # the histories exercise the rule


def test_declared_decision_steps():
    from sksearch.pruners._base import BasePruner, StepLayout

    layout = StepLayout(folds=True, per_fold=5, n_steps=25)
    assert SuccessiveHalvingPruner().decision_steps(layout) == {0, 2, 8}
    assert SuccessiveHalvingPruner(min_early_stopping_rate=1).decision_steps(layout) == {2, 8}
    assert SuccessiveHalvingPruner(min_resource=2).decision_steps(layout) == {1, 5, 17}
    assert HyperbandPruner().decision_steps(layout) == {0, 2, 8}
    assert MedianPruner(n_warmup_steps=20, interval_steps=2).decision_steps(layout) == {
        20, 22, 24}
    assert BoundPruner(bound=1.0).decision_steps(layout) == set()
    assert WilcoxonPruner().decision_steps(layout) == set()
    assert NopPruner().decision_steps(layout) == set()

    class Mine(BasePruner):
        def prune(self, study, trial):
            return False

    assert Mine().decision_steps(layout) is None  # may decide anywhere: every increment
    assert SuccessiveHalvingPruner().decision_steps(StepLayout(folds=True)) is None


# -- protocols as objects (issue 28) ----------------------------------------------------

class _ReadsTheBest(BasePruner):
    """A pruner written against the PrunerStudy protocol: it reads what a
    Study offers (directions, best_trial, best_value, trials) and stops a
    trial whose first step is 0.1 below the best value so far."""

    seen = []  # shared with the copies a search makes of its pruner

    def prune(self, study, trial):
        # every member of the protocol is there (dir() evaluates no property)
        assert {*PrunerStudy.__annotations__, "get_trials", "n_trials"} <= set(dir(study))
        assert study.directions == ["maximize"] and not study.is_multi_objective
        complete = study.get_trials((TrialState.COMPLETE,))
        self.seen.append((len(study.trials), len(complete)))
        if not complete or not trial.intermediate_values:
            return False
        assert study.best_value == study.best_trial.value == max(t.value for t in complete)
        return trial.intermediate_values[min(trial.intermediate_values)] < study.best_value - 0.1


def test_a_pruner_reads_the_same_interface_in_a_study_and_in_a_search():
    # before, a search handed pruners a view without directions or best_trial:
    # a pruner that worked in Study.optimize failed with AttributeError there
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    _ReadsTheBest.seen.clear()
    pruner = _ReadsTheBest()
    study = Study(direction="maximize", pruner=pruner, sampler=RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        if trial.should_prune():
            raise TrialPruned()
        return x

    study.optimize(objective, n_trials=12)
    assert _ReadsTheBest.seen and study.get_trials((TrialState.PRUNED,))
    _ReadsTheBest.seen.clear()

    X, y = load_iris(return_X_y=True)
    search_pruner = _ReadsTheBest()
    search = BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-4, 1e2, log=True)},
                           n_iter=12, cv=3, sampler="random", pruner=search_pruner,
                           random_state=0, refit=False).fit(X, y)
    assert _ReadsTheBest.seen and "pruned" in list(search.cv_results_["status"])


@pytest.mark.parametrize("folds,per_fold,n_steps,scoring",
                         [(True, 1, 5, "accuracy"), (True, 4, 12, None), (False, 1, None, None)])
def test_the_step_layout_has_one_writer_and_one_reader(folds, per_fold, n_steps, scoring):
    study = Study()
    layout = StepLayout(folds=folds, per_fold=per_fold, n_steps=n_steps, scoring=scoring)
    layout.write(study)
    written = set(study.system_attrs)
    assert StepLayout.KEY in written and not written & set(StepLayout._OLD_KEYS.values())
    assert StepLayout.of(study) == layout
    assert StepLayout.of(Study()) == StepLayout()  # a plain study's steps


def test_a_search_records_its_layout_and_an_older_study_is_still_read():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-2, 1e2, log=True)},
                           n_iter=3, cv=4, scoring="balanced_accuracy", refit=False,
                           random_state=0).fit(X, y)
    assert StepLayout.of(search.study_) == StepLayout(True, 1, 4, "balanced_accuracy")
    old = Study()  # the four attributes studies stored before the one key
    for key, value in [("sksearch:steps_are_folds", True), ("sksearch:steps_per_fold", 2),
                       ("sksearch:n_steps", 6), ("sksearch:scoring", "r2")]:
        old.set_system_attr(key, value)
    assert StepLayout.of(old) == StepLayout(True, 2, 6, "r2")


@pytest.mark.parametrize("pruner", CONTRACT, ids=repr)
def test_decisions_that_read_as_of_their_step_are_the_same_on_truncated_peers(pruner):
    # the contract of reads_as_of: where it holds, the decision is the same
    # whether the other trials are shown whole (the sequential search) or
    # only up to the step, as PRUNED trials (a search deciding before its
    # earlier candidates finished)
    from sksearch.pruners._base import StepLayout

    layout = StepLayout(folds=True, per_fold=PER_FOLD, n_steps=FOLDS * PER_FOLD)
    n_steps = FOLDS * PER_FOLD
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(10):
        peers = [(list(rng.uniform(0.5, 0.9, int(rng.integers(1, n_steps + 1)))),
                  TrialState.COMPLETE if rng.random() < 0.5 else TrialState.PRUNED)
                 for _ in range(int(rng.integers(2, 9)))]
        mine = rng.uniform(0.4, 0.95, n_steps)
        for step in range(n_steps):
            if not pruner.reads_as_of(step, layout):
                continue
            whole = make_study(pruner, folds=FOLDS, per_fold=PER_FOLD)
            as_of = make_study(pruner, folds=FOLDS, per_fold=PER_FOLD)
            for values, state in peers:
                state = state if len(values) == n_steps else TrialState.PRUNED
                add_trial(whole, values, state=state)
                add_trial(as_of, values[:step + 1], state=TrialState.PRUNED)
            decisions = []
            for study in (whole, as_of):
                trial = study.ask()
                for k in range(step + 1):
                    trial.report(float(mine[k]), k)
                decisions.append(pruner.prune(study, study.get_trials()[-1]))
            assert decisions[0] == decisions[1], step
            checked += 1
    if isinstance(pruner, SuccessiveHalvingPruner):
        assert checked > 0
        assert pruner.reads_as_of(0, layout)
        # a trial with repeat_steps whole folds may repeat the incumbent,
        # which only finished peers show: not as of its step
        assert not pruner.reads_as_of(pruner.repeat_steps * PER_FOLD - 1, layout)
