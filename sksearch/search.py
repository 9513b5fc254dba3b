"""The scikit-learn face of sksearch: three searches, one machinery.

``GridSearchCV`` and ``RandomizedSearchCV`` take exactly the arguments of
scikit-learn's classes of the same names (plus sksearch's keyword-only extras),
so that swapping the import is the whole migration; ``BayesSearchCV`` adds the
choice of sampler. All three are thin: a constructor that stores its arguments
and the hooks of :class:`~sksearch._search_base.BaseSearch` that say where the
space is, which sampler runs and how many candidates. See ``docs/design.md`` for
why the loop is ours rather than ``BaseSearchCV._run_search``: fold-level
pruning needs control over single folds.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect

import numpy as np

from ._search_base import AdaptiveOptions, BaseSearch

__all__ = ["BayesSearchCV", "GridSearchCV", "RandomizedSearchCV"]

# -- documentation shared by the three classes ---------------------------------------
# Each class's Parameters section is built from its own signature, so that the
# order of the documented parameters is the order of the arguments.

_PARAMETER_DOCS = {
    "estimator": """estimator : estimator object
    Cloned for every fit; must implement ``fit`` and be scoreable.""",
    "param_distributions": """param_distributions : dict, list of dicts or callable
    The search space. A dict maps parameter names to lists of values,
    frozen ``scipy.stats`` distributions, or :mod:`sksearch.distributions`
    (``Float``, ``Int``, ``Categorical``). A list of dicts is a conditional
    space: each candidate uses the parameters of one dict, as in
    ``GridSearchCV``. A callable ``space(trial) -> dict`` defines the space
    by run, suggesting values through the :class:`~sksearch.Trial`.""",
    "param_grid": """param_grid : dict or list of dicts
    As in :class:`sklearn.model_selection.GridSearchCV`: parameter names
    mapped to lists of values; a list of dicts searches each dict's grid in
    turn. Candidates run in ``ParameterGrid`` order. ``Int``, ``Categorical``
    and ``Float(step=...)`` of :mod:`sksearch.distributions` are accepted as
    the lists they enumerate.""",
    "n_iter": """n_iter : int or None, default={default}
    Number of candidates in total, counting those of a resumed study.
    ``None`` means the whole space, which must be finite (a grid).""",
    "sampler": """sampler : {"tpe", "auto", "gp", "cmaes", "random", "grid", "nsga2"} \
or BaseSampler, default={default}
    How candidates are chosen. ``"gp"`` is Gaussian-process Bayesian
    optimisation; ``"auto"`` chooses it for numerical and mixed spaces and
    TPE for others, once 10 candidates are scored, hands a GP search over
    to TPE from its 200th candidate, and stores the choice in the study
    (``verbose > 0`` prints it): see :class:`~sksearch.samplers.AutoSampler`.
    ``"tpe"`` (the default until sksearch 0.1) is one argument away.
    ``"grid"`` enumerates the space in ``ParameterGrid`` order; ``"nsga2"``
    is NSGA-II, for ``objectives``.
    ``"cmaes"`` is ``CmaEsSampler()`` (with its surrogate) for up to 4
    parallel candidates, and plain CMA-ES (``CmaEsSampler(surrogate=None)``)
    for more (``n_jobs > 4``). An instance is deep-copied at fit, so repeated
    fits start from the same state.""",
    "pruner": """pruner : {"median", "percentile", "halving", "hyperband", "wilcoxon", \
"bound"}, BasePruner or None, default=None
    Stops candidates fold by fold. ``None`` scores every fold, exactly like
    ``GridSearchCV``; ``"bound"`` stops only candidates that provably cannot
    win, so the best candidate is the one of the full search.""",
    "scoring": """scoring : str, callable, list, tuple, set, dict or None, default=None
    As in ``GridSearchCV``; with several metrics, ``refit`` names the one
    that is optimised (and pruned on).""",
    "n_jobs": """n_jobs : int or None, default=None
    Fits run in parallel through joblib; ``joblib.parallel_config`` applies.""",
    "refit": """refit : bool, str or callable, default=True
    As in ``GridSearchCV``.""",
    "cv": """cv : int, cross-validation generator, iterable or None, default=None
    As in ``GridSearchCV`` (5-fold; stratified for classifiers). The splits
    are computed once and shared by every candidate.""",
    "verbose": """verbose : int, default=0
    ``>0`` prints GridSearchCV's "Fitting ..." line and, in BayesSearchCV or
    with a pruner, a line per candidate with its score, the best score so far
    and the elapsed time; ``>1``, ``>2`` and ``>9`` add GridSearchCV's
    per-fold lines (without a pruner, GridSearchCV and RandomizedSearchCV
    print exactly scikit-learn's lines).""",
    "pre_dispatch": """pre_dispatch : int or str, default="2*n_jobs"
    As in ``GridSearchCV``.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seeds the sampler; the same value gives the same ``cv_results_``.""",
    "error_score": """error_score : "raise" or numeric, default=np.nan
    Score of a failed fit, as in ``GridSearchCV``.""",
    "return_train_score": """return_train_score : bool, default=False
    As in ``GridSearchCV``.""",
    "timeout": """timeout : float or None, default=None
    Start no new candidate after this many seconds.""",
    "storage": """storage : None, str, path or BaseStorage, default=None
    Where trials are kept; a persistent storage lets a killed search resume
    by calling ``fit`` again.""",
    "study_name": """study_name : str or None, default=None
    Name of the study in ``storage``. With a storage and no name, a name is
    derived from the data, the CV splits and the space (and the objectives
    and constraints, if any), so refitting the same search resumes it and
    the outer folds of a nested CV never mix.""",
    "callbacks": """callbacks : list of callable or None, default=None
    Each is called as ``callback(study, frozen_trial)`` after every
    candidate; ``study.stop()`` ends the search early. (scikit-learn's own
    callbacks, such as ``sklearn.callback.ProgressBar``, are registered with
    ``set_callbacks`` as on any scikit-learn estimator.)""",
    "increments": """increments : dict or None, default=None
    Fit each fold of an iterative estimator in increments and score the
    model after each, so that the ``pruner`` can stop a candidate in the
    middle of a fold. ``{"n_estimators": 4}`` grows that parameter (any
    integer parameter that adds to the model under ``warm_start``, e.g.
    ``max_iter`` of HistGradientBoosting, or ``clf__n_estimators`` in a
    Pipeline) to the candidate's value in 4 equal steps, refitting with
    ``warm_start=True``; the fold's final model is the one a plain fit
    gives. ``{"partial_fit": 10}`` trains with 10 calls of ``partial_fit``
    instead of ``fit`` (and refits the best candidate the same way).
    LightGBM, XGBoost and CatBoost models grow their boosting rounds the
    same way by continued training; between two steps where the pruner may
    decide they are fitted once and scored after each increment by their
    first rounds, so a fold no decision reads any more costs one plain fit.
    Steps of the study are then increments: the score after increment ``i``
    of fold ``f`` is reported at step ``f * k + i``.""",
    "window": """window : int or None, default=None
    How far ahead of the results a learning sampler proposes: candidate
    ``i`` is proposed knowing the results of the candidates before
    ``i - window + 1`` (the others are pending, which TPE's constant liar
    and CMA-ES's generations account for), and with a pruner its
    decisions read the candidates from ``i - window + 1`` on as of their
    step. An int makes ``cv_results_`` the same for every ``n_jobs`` and
    backend (``window=1`` is the sequential search on any number of
    workers; a larger window lets that many candidates run at once).
    ``None`` follows the workers: ``n_jobs`` candidates (``2 * n_jobs``
    with a pruner), so a search learns from results as recent as its
    workers allow, and the same ``n_jobs`` gives the same results whatever
    the timing, another ``n_jobs`` other results. A sampler that does not
    learn (random, grid) needs no window: its results are the same for
    every ``n_jobs`` either way.""",
    "reuse": """reuse : bool, int or str, default=True
    Fit a :class:`~sklearn.pipeline.Pipeline`'s leading steps once per fold
    for all the candidates that give them the same parameters, and reuse
    their transform of the fold's training and test rows (a
    ``TfidfVectorizer`` or ``StandardScaler`` + ``PCA`` in front of the
    classifier the search tunes). The scores are those of fitting every
    candidate whole; steps whose fit is not exactly repeatable (an unseeded
    ``random_state``, fit parameters routed to them) are never shared; see
    :doc:`/reuse`. ``True`` bounds the fitted steps kept to 500 MB per
    process (least recently used dropped first); an int is that bound in
    bytes, a str such as ``"2GB"`` or ``"200MiB"`` too; ``False`` or ``0``
    fits every candidate whole. Candidates that differ only by a parameter
    the model grows by exactly (``n_estimators`` of a seeded forest or
    gradient boosting, ``max_iter`` of HistGradientBoosting without early
    stopping, LightGBM/XGBoost rounds without subsampling) are grown on
    each fold from the largest smaller model fitted there, within the same
    bound. ``mean_fit_time`` counts a shared step's fit, and the fit of the
    model a candidate grew from, in every candidate that uses it, as if
    each had fitted it.""",
    "max_fold_fits": """max_fold_fits : int or None, default=None
    The most fold fits this ``fit`` may use, in all: the search stops when
    they are spent (the candidate that spends the last one is stopped after
    the folds it ran, with status "pruned"), and ``n_fold_fits_`` is then
    exactly this number when ``n_iter`` candidates would need more. Spent
    in trial order, so the same ``random_state`` and ``n_jobs`` give the
    same ``cv_results_`` whatever the timing; ``None`` limits only
    ``n_iter``.""",
    "initial_params": """initial_params : list of dict or None, default=None
    Known parameter sets to evaluate first, in order (as Optuna's
    ``enqueue_trial``), each a dict of values of the space (a list-of-dicts
    space: of one branch). They are checked against the space before any
    fit (an error names the parameter), count towards ``n_iter``, appear in
    ``cv_results_`` like any candidate, and one already evaluated in a
    resumed study is not run again.""",
    "warm_start_from": """warm_start_from : Study, fitted search or None, default=None
    A finished study (or a fitted search, whose ``study_`` is used) of a
    related search over the same space, on other data: its finished trials
    are the sampler's prior history, so TPE models the space from the first
    candidate instead of sampling at random. They are not candidates of
    this search: not in ``cv_results_``, ``best_*``, ``n_iter`` or the
    pruner's view. They are added to this search's study marked with the
    system attribute ``"sksearch:warm_start"`` (once: a resumed study keeps
    them). Needs a sampler that learns from results (not random or grid).""",
    "objectives": """objectives : list of str or None, default=None
    Metrics to optimise jointly (at least two): keys of a multi-metric
    ``scoring`` (``"score"`` with one metric), maximised, and
    ``"fit_time"`` / ``"score_time"``, a candidate's mean seconds per fold,
    minimised. The study then has one objective per name and the sampler
    (TPE, NSGA-II, random or grid) searches for the Pareto front, listed in
    ``pareto_front_``; ``refit`` names the metric that picks one candidate
    of the front (or is a callable on ``cv_results_``). ``None`` optimises
    the refit metric alone. A pruner judges every candidate on the refit
    metric only (its fold scores), as without ``objectives``.""",
    "constraints": """constraints : dict or None, default=None
    Bounds on metrics (the names ``objectives`` takes), as
    ``{metric: (operator, bound)}`` with operator ``"<="`` or ``">="``: e.g.
    ``{"fit_time": ("<=", 1.0), "recall": (">=", 0.9)}``. A candidate is
    feasible when every bound holds on its mean over the folds;
    ``cv_results_`` gets a boolean ``feasible`` column, the samplers steer
    towards feasible candidates, and ``best_*`` and ``pareto_front_`` are
    chosen among feasible ones (with a warning if there is none).""",
}

_ATTRIBUTES_DOC = """cv_results_ : dict of numpy (masked) ndarrays
    In ``GridSearchCV``'s format, one row per candidate in trial order, plus
    a ``status`` column ("complete", "pruned", "fail").
best_estimator_ : estimator
    Refitted on the whole data with ``best_params_`` (if ``refit``).
best_score_ : float
    Mean cross-validated score of the best candidate.
best_params_ : dict
    Parameters of the best candidate.
best_index_ : int
    Row of the best candidate in ``cv_results_``.
scorer_ : function or dict
    The scorer(s) used.
n_splits_ : int
    Number of cross-validation splits.
refit_time_ : float
    Seconds the refit on the whole data took.
multimetric_ : bool
    Whether several metrics were scored.
classes_ : ndarray of shape (n_classes,)
    Class labels of the best estimator (classifiers).
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when they are all strings.
study_ : Study
    The study holding every trial of the search.
n_pruned_ : int
    Number of candidates stopped early.
n_fold_fits_ : int
    Number of fold fits this ``fit`` call started.
n_increments_ : int
    Number of increments this ``fit`` call ran, with ``increments``;
    equal to ``n_fold_fits_`` without.
pareto_front_ : ndarray of int
    With ``objectives``: rows of ``cv_results_`` on the Pareto front of the
    objectives (complete and feasible candidates that no other dominates),
    in trial order."""


def _document(summary, extended, see_also, examples):
    """Class decorator: the numpydoc docstring of a search, its Parameters in
    the order of its ``__init__``, each default read from the signature."""

    def decorate(cls):
        signature = inspect.signature(cls.__init__)
        params = []
        for name, parameter in list(signature.parameters.items())[1:]:
            default = parameter.default
            default = f'"{default}"' if isinstance(default, str) else str(default)
            params.append(_PARAMETER_DOCS[name].replace("{default}", default))
        cls.__doc__ = "\n\n".join([
            summary, extended,
            "Parameters\n----------\n" + "\n".join(params),
            "Attributes\n----------\n" + _ATTRIBUTES_DOC,
            "See Also\n--------\n" + see_also,
            "Examples\n--------\n" + examples,
        ]) + "\n"
        return cls

    return decorate


# -- the three searches ---------------------------------------------------------------


@_document(
    summary="Adaptive hyperparameter search with cross-validation.",
    extended="""\
The same constructor arguments, ``fit``, fitted attributes and
``cv_results_`` format as scikit-learn's searches. Candidates are proposed by
a sampler that learns from the scores so far (``sampler="auto"``: a Gaussian
process on numerical and mixed spaces, TPE on others), and, with a
``pruner``, a candidate's folds are scored one at a time so that one that
cannot win is stopped early. :class:`GridSearchCV` and
:class:`RandomizedSearchCV` are the same search with scikit-learn's
signatures.""",
    see_also="""\
GridSearchCV : The same search over a grid, with scikit-learn's signature.
RandomizedSearchCV : Random search, with scikit-learn's signature.
sksearch.Study : The ask/tell engine underneath.""",
    examples="""\
>>> from sklearn.datasets import load_iris
>>> from sklearn.svm import SVC
>>> from sksearch import BayesSearchCV
>>> from sksearch.distributions import Float
>>> X, y = load_iris(return_X_y=True)
>>> search = BayesSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True),
...                                "kernel": ["linear", "rbf"]},
...                        n_iter=8, random_state=0).fit(X, y)
>>> sorted(search.best_params_)
['C', 'kernel']
>>> len(search.cv_results_["params"])
8""")
class BayesSearchCV(BaseSearch):
    def __init__(self, estimator, param_distributions, *, n_iter=50, sampler="auto",
                 pruner=None, scoring=None, n_jobs=None, refit=True, cv=None, verbose=0,
                 pre_dispatch="2*n_jobs", random_state=None, error_score=np.nan,
                 return_train_score=False, timeout=None, storage=None, study_name=None,
                 callbacks=None, increments=None, max_fold_fits=None, initial_params=None,
                 warm_start_from=None, objectives=None, constraints=None, window=None,
                 reuse=True):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.sampler = sampler
        self.pruner = pruner
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.timeout = timeout
        self.storage = storage
        self.study_name = study_name
        self.callbacks = callbacks
        self.increments = increments
        self.reuse = reuse
        self.max_fold_fits = max_fold_fits
        self.initial_params = initial_params
        self.warm_start_from = warm_start_from
        self.objectives = objectives
        self.constraints = constraints
        self.window = window
        self.reuse = reuse

    def _random_state(self):
        return self.random_state

    def _adaptive_options(self):
        return AdaptiveOptions(
            initial_params=self.initial_params, warm_start_from=self.warm_start_from,
            objectives=self.objectives, constraints=self.constraints,
            max_fold_fits=self.max_fold_fits, window=self.window)


@_document(
    summary="Exhaustive search over a grid, with scikit-learn's signature.",
    extended="""\
``from sksearch import GridSearchCV`` in place of scikit-learn's is the whole
migration: the same arguments (``param_grid``, ...), the same candidates in
the same order, and the same ``cv_results_`` and ``best_*`` (plus a
``status`` column). The keyword-only extras add what sksearch does beyond:
``pruner="bound"`` skips the folds of candidates that provably cannot win
and returns the same winner with fewer fits; ``storage`` makes a killed
search resumable.""",
    see_also="""\
sklearn.model_selection.GridSearchCV : The class this one replaces.
BayesSearchCV : Adaptive search (TPE, CMA-ES) with the same machinery.
RandomizedSearchCV : Random search, with scikit-learn's signature.""",
    examples="""\
>>> from sklearn.datasets import load_iris
>>> from sklearn.svm import SVC
>>> from sksearch import GridSearchCV
>>> X, y = load_iris(return_X_y=True)
>>> grid = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}
>>> search = GridSearchCV(SVC(), param_grid=grid, cv=3).fit(X, y)
>>> search.best_params_
{'C': 1, 'kernel': 'linear'}
>>> pruned = GridSearchCV(SVC(), param_grid=grid, cv=3, pruner="bound").fit(X, y)
>>> pruned.best_params_ == search.best_params_
True""")
class GridSearchCV(BaseSearch):
    _space_param = "param_grid"
    _exhaustive_hint = "use GridSearchCV"
    _candidate_lines = False

    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None, refit=True,
                 cv=None, verbose=0, pre_dispatch="2*n_jobs", error_score=np.nan,
                 return_train_score=False, pruner=None, storage=None, study_name=None,
                 timeout=None, callbacks=None, increments=None, reuse=True):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.timeout = timeout
        self.callbacks = callbacks
        self.increments = increments
        self.reuse = reuse

    def _sampler_spec(self):
        return "grid"

    def _n_iter_spec(self):
        return None

    def _infinite_space_message(self):
        return ("GridSearchCV searches every point of param_grid, which must then be "
                "finite (lists of values, Categorical, Int, or Float with step); use "
                "RandomizedSearchCV or BayesSearchCV for continuous distributions.")


@_document(
    summary="Randomized search over distributions, with scikit-learn's signature.",
    extended="""\
``from sksearch import RandomizedSearchCV`` in place of scikit-learn's takes
the same arguments (``param_distributions``, ``n_iter=10``, ``random_state``)
and proposes the candidates scikit-learn's proposes, in the same order: they
are taken from ``sklearn.model_selection.ParameterSampler`` itself, so
``cv_results_`` is the same key by key (plus ``status``). A space holding
sksearch's own distributions (or a callable) is drawn by sksearch's random
sampler instead, never repeating a point of a finite space. The keyword-only
``sampler`` turns the same call into an adaptive search
(``sampler="auto"``); ``pruner`` stops losing candidates fold by fold.""",
    see_also="""\
sklearn.model_selection.RandomizedSearchCV : The class this one replaces.
BayesSearchCV : Adaptive search (TPE, CMA-ES) with the same machinery.
GridSearchCV : Exhaustive search, with scikit-learn's signature.""",
    examples="""\
>>> from scipy.stats import loguniform
>>> from sklearn.datasets import load_iris
>>> from sklearn.svm import SVC
>>> from sksearch import RandomizedSearchCV
>>> X, y = load_iris(return_X_y=True)
>>> search = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_iter=5,
...                             cv=3, random_state=0).fit(X, y)
>>> len(search.cv_results_["params"])
5""")
class RandomizedSearchCV(BaseSearch):
    _exhaustive_hint = "use GridSearchCV"
    _parameter_sampler_draws = True
    _candidate_lines = False

    def __init__(self, estimator, param_distributions, *, n_iter=10, scoring=None,
                 n_jobs=None, refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs",
                 random_state=None, error_score=np.nan, return_train_score=False,
                 sampler="random", pruner=None, storage=None, study_name=None,
                 timeout=None, callbacks=None, increments=None, reuse=True):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.sampler = sampler
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.timeout = timeout
        self.callbacks = callbacks
        self.increments = increments
        self.reuse = reuse

    def _random_state(self):
        return self.random_state
