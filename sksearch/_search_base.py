"""The machinery shared by sksearch's three searches.

:class:`BaseSearch` owns what every search shares with scikit-learn's
(scoring, cross-validation, parallel dispatch, ``cv_results_``, refit,
delegation, metadata routing, callbacks). The public classes of
:mod:`sksearch.search` (``BayesSearchCV``, ``GridSearchCV``,
``RandomizedSearchCV``) differ only in their constructor and in three hooks
that say where the space is and which sampler and budget to use: *which*
candidates to try comes from a :class:`~sksearch.Study` and its sampler, and
*when to stop one* from its pruner. See ``docs/design.md`` for why the loop is ours rather than
``BaseSearchCV._run_search``: fold-level pruning needs control over single folds.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import dataclasses
import numbers
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted, indexable

from . import _compat
from ._cv_results import format_cv_results
from ._delegation import DelegationMixin
from ._fold import FoldContext, warn_about_fit_failures
from ._increments import Increments, class_labels, fit_all_increments
from ._objectives import SearchObjectives, best_row_of, pareto_rows
from ._params import search_constraints, validate_params
from ._records import FOLDS_ATTR, records_from_json
from ._resume import (
    attach_or_create_study,
    check_initial_count,
    check_initial_params,
    enqueue_initial_params,
    replay_params,
    requeue_interrupted,
    warm_start,
)
from ._reuse import release as release_reuse
from ._reuse import reuse_spec
from ._scheduler import SearchPlan, run_search, search_task_size
from ._workers import open_workers
from .pruners import NopPruner, get_pruner
from .pruners._base import StepLayout
from .samplers import GridSampler, get_sampler
from .samplers._sklearn_draws import SklearnDrawsSampler, draws_apply
from .samplers._unique import UniquePointsSampler, finite_parts
from .space import CallableSpace, make_search_space
from .storage._urls import redact
from .study import _seed_from
from .trial import TrialState, is_interrupted

__all__ = ["BaseSearch"]


@dataclass
class _Setup:
    """What ``fit`` validated and built before the first fit: the scheduler's
    plan and what collecting the results and refitting need."""

    plan: SearchPlan
    space: object
    refit_metric: object
    routed: object
    increments: object
    objectives: object
    root_ctx: object
    metadata: object
    X: object
    y: object



@dataclass(frozen=True)
class AdaptiveOptions:
    """What only ``BayesSearchCV`` takes, declared once: the machinery reads
    these, never probes the estimator for them (see ``BayesSearchCV`` for
    each one's meaning)."""

    initial_params: object = None
    warm_start_from: object = None
    objectives: object = None
    constraints: object = None
    max_fold_fits: int = None
    window: int = None


class _SearchConstraints:
    """``cls._parameter_constraints`` of a search class: the shared table's
    entry for each argument of its ``__init__``, then its ``_own_constraints``
    (declared once here, so no search class redefines it); checked in ``fit``
    (:func:`~sksearch._params.validate_params`), as scikit-learn's are."""

    def __get__(self, obj, cls):
        return search_constraints(cls, cls._own_constraints)


class BaseSearch(DelegationMixin, MetaEstimatorMixin, _compat.CallbackSupportMixin,
                 BaseEstimator):
    """The machinery of a search; subclasses define ``__init__`` and the hooks.

    A subclass stores its constructor arguments untouched (scikit-learn's
    ``get_params`` reads ``__init__``) and says, through the hooks below,
    where its search space is, which sampler it runs and how many
    candidates; everything else -- validation, the scheduler, ``cv_results_``,
    refit, delegation -- is here, once.
    """

    #: The constructor argument holding the search space (named in messages).
    _space_param = "param_distributions"
    #: What the warning for ``n_iter`` larger than a finite space advises.
    _exhaustive_hint = "use sampler='grid'"
    #: Whether ``sampler="random"`` proposes scikit-learn's ``ParameterSampler``
    #: draws (RandomizedSearchCV), rather than sksearch's random stream.
    _parameter_sampler_draws = False
    #: Whether ``verbose > 0`` prints a line per candidate without a pruner
    #: (the drop-in searches then print only scikit-learn's lines).
    _candidate_lines = True
    #: A subclass's own constraints (a migrant face's arguments), merged into
    #: its ``_parameter_constraints`` over the shared table's entries.
    _own_constraints = {}
    _parameter_constraints = _SearchConstraints()

    # -- hooks ----------------------------------------------------------------------
    def _search_space(self):
        """The search space as the user gave it."""
        return getattr(self, self._space_param)

    def _sampler_spec(self):
        """The ``sampler`` argument: a name or a BaseSampler instance."""
        return self.sampler

    def _n_iter_spec(self):
        """The budget of candidates; ``None`` for the whole (finite) space."""
        return self.n_iter

    def _random_state(self):
        """The ``random_state`` argument; a search without one is not random."""
        return None

    def _adaptive_options(self):
        """The options of an adaptive search (:class:`AdaptiveOptions`); the
        drop-in searches, which have none, run with the defaults."""
        return AdaptiveOptions()

    def _infinite_space_message(self):
        return ("n_iter=None searches the whole space, which must then be finite "
                "(lists of values, Categorical, Int, or Float with step); give an "
                "int n_iter for continuous spaces.")


    # -- scikit-learn protocol ------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = copy.deepcopy(sub.classifier_tags)
        tags.regressor_tags = copy.deepcopy(sub.regressor_tags)
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.input_tags.sparse = sub.input_tags.sparse
        # GridSearchCV leaves allow_nan False even over an estimator that takes
        # NaN (a forest): the search accepts exactly what its estimator accepts.
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        tags.array_api_support = sub.array_api_support
        return tags

    def _sk_visual_block_(self):
        # as scikit-learn's searches: the fitted repr shows the best estimator
        if hasattr(self, "best_estimator_"):
            key, estimator = "best_estimator_", self.best_estimator_
        else:
            key, estimator = "estimator", self.estimator
        return _compat.visual_block(estimator, f"{key}: {type(estimator).__name__}")

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit`` metadata to the estimator's ``fit``, the scorer and the
            splitter's ``split``, as scikit-learn's searches do.
        """
        router = MetadataRouter(owner=self)
        router.add(estimator=self.estimator,
                   method_mapping=MethodMapping().add(caller="fit", callee="fit"))
        scorer, _ = self._get_scorers()
        router.add(scorer=scorer,
                   method_mapping=MethodMapping().add(caller="score", callee="score")
                   .add(caller="fit", callee="score"))
        router.add(splitter=self.cv,
                   method_mapping=MethodMapping().add(caller="fit", callee="split"))
        return router

    # -- how it shows (a storage URL's password never does) ---------------------------
    def _redacted(self, text):
        return redact(text, *([self.storage] if isinstance(self.storage, str) else []))

    def __repr__(self, N_CHAR_MAX=700):
        return self._redacted(super().__repr__(N_CHAR_MAX))

    def _repr_html_inner(self):
        return self._redacted(super()._repr_html_inner())

    def _repr_mimebundle_(self, **kwargs):
        return {kind: self._redacted(shown)
                for kind, shown in super()._repr_mimebundle_(**kwargs).items()}

    # -- fit ----------------------------------------------------------------------
    @_compat.with_callbacks
    def fit(self, X, y=None, **params):
        """Search the space with cross-validation, then refit the best candidate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; a square kernel matrix for precomputed kernels.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target; ``None`` for unsupervised estimators.
        **params : dict
            Metadata for the estimator's ``fit``, the scorer and the CV splitter
            (``groups``), routed as in ``GridSearchCV``.

        Returns
        -------
        self : object
            The fitted search.
        """
        setup = self._set_up(X, y, params)
        study = setup.plan.study
        self.n_fold_fits_ = 0
        self.n_increments_ = 0
        try:
            outcome = self._search(setup)
        finally:
            # Whatever happens (Ctrl-C included), the trials are in the study.
            self.study_ = study
            release_reuse(setup.plan.fold_context.reuse)
        self._collect_results(study, setup.space, setup.refit_metric, outcome.params,
                              setup.objectives)
        if self.refit:
            self._refit(setup)
        scorers = setup.plan.fold_context.scorer
        self.scorer_ = _compat.scorers_by_name(scorers) or scorers
        _compat.task_end(setup.root_ctx, self, setup.X, setup.y, setup.metadata)
        del outcome
        return self

    def _set_up(self, X, y, params):
        """Validate everything (before any fit) and build the search's plan."""
        validate_params(self)
        space = self._checked_space()
        options = self._adaptive_options()
        initial = check_initial_params(space, options.initial_params)
        scorers, refit_metric = self._get_scorers()
        objectives = self._objectives(scorers)
        pruner = self._checked_pruner()
        increments = Increments.from_spec(self.increments, self.estimator, space)
        X, y = indexable(X, y)
        routed = self._route_fit_params(X, params)
        splits = self._splits(X, y, routed)

        sampler, seed = self._sampler_and_seed(space)
        n_iter = self._resolve_n_iter(space, sampler)
        check_initial_count(initial, n_iter)
        study, _ = attach_or_create_study(
            self, space, sampler, pruner or NopPruner(), X, y, splits,
            directions=objectives.directions if objectives.names else ["maximize"],
            constraints_func=objectives.constraints_func if objectives.constraints else None)
        warm_start(study, options.warm_start_from, sampler, space)
        requeue_interrupted(study, sampler)
        enqueue_initial_params(study, initial)
        per_fold = 1 if increments is None else increments.n
        layout = StepLayout(folds=True, per_fold=per_fold, n_steps=self.n_splits_ * per_fold,
                            scoring=self._scoring_name(refit_metric))
        layout.write(study)
        if pruner is not None:
            pruner.setup(study, layout)

        metadata = None
        if params.get("sample_weight") is not None:
            metadata = {"sample_weight": params["sample_weight"]}
        root_ctx = _compat.init_callback_context(
            self, max_subtasks=1 + (self.refit is not False), X=X, y=y, metadata=metadata)
        plan = SearchPlan(
            study=study, fold_context=self._fold_context(X, y, scorers, routed, increments),
            splits=splits, n_iter=n_iter, propose=self._proposer(space, increments, sampler),
            refit_score=self._refit_score,
            objective_values=objectives.values if objectives.names else None,
            pruner=pruner, per_fold=per_fold, layout=layout,
            n_workers=max(1, effective_n_jobs(self.n_jobs)),
            learns=sampler.learns_from_results,
            deadline=None if self.timeout is None else time.monotonic() + self.timeout,
            callbacks=list(self.callbacks or []), seed=seed,
            # the drop-in searches print exactly scikit-learn's lines unless a
            # pruner makes the progress per candidate
            verbose=self.verbose * (pruner is not None or self._candidate_lines),
            caller=self, max_fold_fits=options.max_fold_fits, window=options.window)
        return _Setup(plan=plan, space=space, refit_metric=refit_metric, routed=routed,
                      increments=increments, objectives=objectives, root_ctx=root_ctx,
                      metadata=metadata, X=X, y=y)

    def _checked_space(self):
        """The search space, parsed, and checked against the estimator."""
        space = make_search_space(self._search_space(), name=self._space_param)
        if (self._n_iter_spec() is None and not space.is_finite
                and isinstance(self._sampler_spec(), str)):
            raise ValueError(self._infinite_space_message())
        if not isinstance(space, CallableSpace):
            space.check_estimator_params(self.estimator)
        return space

    def _checked_pruner(self):
        """A copy of the pruner to run (``None`` for none), checked against
        the scoring."""
        pruner = None if self.pruner is None else copy.deepcopy(get_pruner(self.pruner))
        if isinstance(pruner, NopPruner):
            return None
        if (pruner is not None and self._is_multimetric_scoring()
                and not isinstance(self.refit, str)):
            raise ValueError(
                "With several metrics and a pruner, refit must name the metric to "
                f"prune on; got refit={self.refit!r}."
            )
        return pruner

    def _splits(self, X, y, routed):
        """The CV splits, computed once; sets ``n_splits_``."""
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, **routed.splitter.split))
        self.n_splits_ = cv.get_n_splits(X, y, **routed.splitter.split)
        if len(splits) != self.n_splits_:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {self.n_splits_} splits, got {len(splits)}"
            )
        if self.n_splits_ < 1:
            raise ValueError("No fits were performed. Was the CV iterator empty? "
                             "Were there no candidates?")
        return splits

    def _fold_context(self, X, y, scorers, routed, increments):
        """What every fold task of the search carries alike."""
        return FoldContext(
            estimator=self.estimator, X=X, y=y, scorer=scorers,
            fit_params=routed.estimator.fit, score_params=routed.scorer.score,
            return_train_score=self.return_train_score, error_score=self.error_score,
            scorer_names=_names_of(scorers),
            verbose=self.verbose, increments=increments,
            classes=None if increments is None else class_labels(self.estimator, y),
            reuse=reuse_spec(self.reuse, self.error_score))

    def _objectives(self, scorers):
        """The validated ``objectives`` and ``constraints`` (BayesSearchCV's;
        the drop-in searches have none)."""
        options = self._adaptive_options()
        spec, constraints = options.objectives, options.constraints
        if callable(self.scoring):
            names = None  # a callable's metrics are known after the first fold
        else:
            names = _names_of(scorers) or ["score"]
        objectives = SearchObjectives.from_spec(spec, constraints, names)
        if len(objectives.names) == 1:
            raise ValueError(
                f"objectives must name at least two metrics to optimise jointly, got "
                f"{list(objectives.names)!r}; for one, use scoring and refit.")
        return objectives

    def _proposer(self, space, increments, sampler):
        """``propose(trial) -> params`` for the scheduler: samples the space and
        checks what can only be checked on a candidate, before its first fit.
        It changes nothing on the search object, which tasks may carry to
        workers (as the callbacks' estimator) while it runs."""
        first = [True]

        def propose(trial):
            params = space.sample(trial)
            exact = _exact_params(sampler, trial)
            if exact is not None:
                params = exact
            if isinstance(space, CallableSpace) and first[0]:
                _check_callable_params(self.estimator, params)
                first[0] = False
            if increments is not None:
                increments.schedule(self.estimator, params)  # raises before a fit
            return params
        return propose

    def _search(self, setup):
        plan = setup.plan
        study, n_iter = plan.study, plan.n_iter
        n_done = len(_finished_with_folds(study))
        pruning = plan.pruner is not None
        remaining = max(0, n_iter - n_done)
        if n_done:
            print(f"sksearch: resuming {n_done} finished candidates of study "
                  f"{study.study_name!r}; {remaining} of n_iter={n_iter} left to run.",
                  file=sys.stderr, flush=True)
        # contexts for candidates and fold tasks (which carry the search to the
        # workers) only when some scikit-learn callback listens
        plan = dataclasses.replace(
            plan, task_contexts=_compat.has_callbacks(self),
            search_ctx=_compat.subcontext(
                setup.root_ctx, task_name="search", sequential_subtasks=False,
                max_subtasks=search_task_size(remaining, self.n_splits_, pruning)))
        _compat.task_begin(plan.search_ctx, self)
        if self.verbose > 0:
            print(f"Fitting {self.n_splits_} folds for each of {remaining} candidates, "
                  f"totalling {remaining * self.n_splits_} fits"
                  + (" (fewer when pruned)" if pruning else ""))
        outcome = None
        first_number = len(study.get_trials())
        try:
            with open_workers(self.n_jobs, self.pre_dispatch) as workers:
                outcome = run_search(plan, workers)
        except KeyboardInterrupt:
            print(_interrupted_message(study, n_iter, first_number, self.storage is not None),
                  file=sys.stderr, flush=True)
            raise
        finally:
            if outcome is not None:
                self.n_fold_fits_ = outcome.n_fold_fits
                self.n_increments_ = outcome.n_increments
        _compat.task_end(plan.search_ctx, self)
        if self.verbose > 0 and "auto:sampler" in study.system_attrs:
            attrs = study.system_attrs
            handover = (f"; TPE from trial {attrs['auto:gp_trials']} on"
                        if attrs["auto:sampler"] == "gp" and "auto:gp_trials" in attrs else "")
            print(f"sampler='auto' chose {attrs['auto:sampler']!r} "
                  f"({attrs.get('auto:reason')}{handover})")
        if outcome.records:
            warn_about_fit_failures(outcome.records, self.error_score)
        return outcome

    def _refit(self, setup):
        X, y, increments = setup.X, setup.y, setup.increments
        fit_params = setup.routed.estimator.fit
        self.best_estimator_ = clone(self.estimator).set_params(
            **clone(self.best_params_, safe=False))
        refit_ctx = _compat.subcontext(setup.root_ctx, task_name="refit-with-best-params")
        start = time.time()
        with _compat.propagate(refit_ctx, self.best_estimator_):
            _compat.task_begin(refit_ctx, self, X, y, setup.metadata)
            if increments is not None and not increments.grows_parameter:
                # the candidates were trained by partial_fit passes; so is the winner
                fit_all_increments(self.best_estimator_, X, y, fit_params,
                                   increments, self.best_params_)
            elif y is not None:
                self.best_estimator_.fit(X, y, **fit_params)
            else:
                self.best_estimator_.fit(X, **fit_params)
        self.refit_time_ = time.time() - start
        _compat.task_end(refit_ctx, self, X, y, setup.metadata)
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    def _refit_score(self, test_scores):
        if isinstance(test_scores, dict):
            if isinstance(self.refit, str) and self.refit in test_scores:
                return test_scores[self.refit]
            return next(iter(test_scores.values()))
        return test_scores

    # -- results ------------------------------------------------------------------
    def _collect_results(self, study, space, refit_metric, run_params, objectives=None):
        """``cv_results_`` and ``best_*`` from the study's trials;
        ``run_params`` are the estimator params of this run's trials, by number
        (those of earlier runs are rebuilt through the space)."""
        _wait_for_others(study)
        trials = _finished_with_folds(study)
        if not trials:
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? Were there no "
                "candidates? (n_iter, timeout or a callback may have stopped the "
                "search before its first candidate.)"
            )
        # this run's params as proposed; an earlier run's rebuilt (by the
        # sampler that drew them, or through the space)
        candidate_params = [run_params[t.number] if t.number in run_params
                            else _replayed_params(study.sampler, space, t) for t in trials]
        fold_results = [records_from_json(t.system_attrs[FOLDS_ATTR], t.number)
                        for t in trials]
        statuses = [t.state.name.lower() for t in trials]
        results = format_cv_results(candidate_params, fold_results, statuses,
                                    self.n_splits_, self.return_train_score)
        candidates = self._refit_candidates(results, trials, objectives)
        refit_metric = self._note_multimetric(fold_results, refit_metric)
        self.n_pruned_ = sum(s == "pruned" for s in statuses)
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results,
                                                       candidates)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        self.cv_results_ = results

    def _refit_candidates(self, results, trials, objectives):
        """The rows refit may choose from (``None``: every row): the Pareto
        front of several objectives (``pareto_front_``) or the feasible rows
        under constraints (the ``feasible`` column, added to ``results``)."""
        if objectives is None:
            return None
        if objectives.constraints:
            results["feasible"] = np.array(
                [t.state is TrialState.COMPLETE and t.is_feasible for t in trials], dtype=bool)
        if objectives.names:
            self.pareto_front_ = pareto_rows(results, objectives)
            return self.pareto_front_
        if objectives.constraints:
            return np.flatnonzero(results["feasible"])
        return None

    def _note_multimetric(self, fold_results, refit_metric):
        """Set ``multimetric_`` from the scores themselves and return the
        refit metric (a callable scorer's metrics are known only now)."""
        # a failed fold of a callable multi-metric scorer holds the bare
        # error_score: any dict says the scoring is multi-metric
        scored = [f.test_scores for folds in fold_results for f in folds if f is not None]
        first = next((s for s in scored if isinstance(s, dict)), scored[0])
        self.multimetric_ = isinstance(first, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first)
            return self.refit
        return refit_metric

    @staticmethod
    def _select_best_index(refit, refit_metric, results, candidates=None):
        if candidates is not None and not callable(refit):
            # several objectives or constraints: the best on the refit metric
            # among the Pareto front (or the feasible candidates)
            if len(candidates):
                return best_row_of(results, candidates, refit_metric)
            warnings.warn(
                "No complete candidate satisfies the constraints; best_* are those of "
                "the best candidate on the refit metric, infeasible.", UserWarning)
        if callable(refit):
            best_index = refit(results)
            if not isinstance(best_index, numbers.Integral):
                raise TypeError("best_index_ returned is not an integer")
            if best_index < 0 or best_index >= len(results["params"]):
                raise IndexError("best_index_ index out of range")
            return best_index
        return results[f"rank_test_{refit_metric}"].argmin()

    # -- scoring ------------------------------------------------------------------
    def _is_multimetric_scoring(self):
        return isinstance(self.scoring, (list, tuple, set, dict))

    def _get_scorers(self):
        refit_metric = "score"
        if callable(self.scoring):
            return self.scoring, refit_metric
        if self.scoring is None or isinstance(self.scoring, str):
            return check_scoring(self.estimator, self.scoring), refit_metric
        scorers = _compat.multimetric_scorer(
            self.estimator, self.scoring, raise_exc=(self.error_score == "raise"))
        self._check_refit_for_multimetric(_compat.scorers_by_name(scorers))
        return scorers, self.refit

    def _check_refit_for_multimetric(self, scores):
        valid = isinstance(self.refit, str) and self.refit in scores
        if self.refit is not False and not valid and not callable(self.refit):
            raise ValueError(
                "For multi-metric scoring, the parameter refit must be set to a scorer "
                "key or a callable to refit an estimator with the best parameter "
                "setting on the whole data and make the best_* attributes available "
                "for that metric. If this is not needed, refit should be set to False "
                f"explicitly. {self.refit!r} was passed."
            )

    def _scoring_name(self, refit_metric):
        """The name of the optimised scorer, for pruners that need its bounds."""
        scoring = self.scoring
        if scoring is None:
            if is_classifier(self.estimator):
                return "accuracy"
            return "r2" if is_regressor(self.estimator) else None
        if isinstance(scoring, str):
            return scoring
        if isinstance(scoring, (list, tuple, set)):
            return refit_metric if isinstance(refit_metric, str) else None
        if isinstance(scoring, dict):
            chosen = scoring.get(refit_metric)
            return chosen if isinstance(chosen, str) else None
        return None

    # -- params routing -----------------------------------------------------------
    def _route_fit_params(self, X, params):
        if _compat.routing_enabled():
            return process_routing(self, "fit", **params)
        params = dict(params)
        groups = params.pop("groups", None)
        score_params = {}
        if params.get("sample_weight") is not None and _compat.scorer_accepts_sample_weight(
                self._get_scorers()[0], self.estimator):
            score_params["sample_weight"] = params["sample_weight"]
        return _compat.manual_routing(fit=params, groups=groups, score=score_params)

    # -- helpers ------------------------------------------------------------------
    def _sampler_and_seed(self, space):
        """The sampler and the seed of this fit. scikit-learn's draws are made
        first: a RandomState is then advanced as scikit-learn's search advances
        it, before a seed is taken from it."""
        sampler = self._parameter_sampler(self._random_state())
        seed = _seed_from(self._random_state())
        return (sampler or self._make_sampler(space, seed)), seed

    def _parameter_sampler(self, random_state):
        """scikit-learn's draws (:class:`SklearnDrawsSampler`) where this search
        proposes them: ``sampler="random"`` of RandomizedSearchCV over a space
        scikit-learn's ``ParameterSampler`` takes; else ``None``."""
        if not (self._parameter_sampler_draws and self._sampler_spec() == "random"
                and draws_apply(self._search_space())):
            return None
        n_iter = self._n_iter_spec()
        if not isinstance(n_iter, numbers.Integral) or n_iter < 1:
            return None  # refused with sksearch's message in _resolve_n_iter
        return SklearnDrawsSampler(self._search_space(), int(n_iter), random_state)

    def _make_sampler(self, space, seed):
        spec = self._sampler_spec()
        if isinstance(spec, str):
            sampler = get_sampler(spec, seed=seed, search_space=space)
        else:
            sampler = copy.deepcopy(spec)
            if seed is not None:
                sampler.reseed_rng(seed)
        if isinstance(sampler, GridSampler) or not finite_parts(space):
            return sampler
        # in a finite space any other sampler (random draws with replacement, a
        # model that treats the space as continuous) would repeat points; a
        # repeat is a full cross-validation for a result already in the study
        return UniquePointsSampler(sampler, space, seed=seed)

    def _resolve_n_iter(self, space, sampler):
        grid_size = sampler.n_points
        if grid_size is None and space.is_finite:
            grid_size = len(space.grid_points())
        n_iter = self._n_iter_spec()
        if n_iter is None:
            if grid_size is None:
                raise ValueError(self._infinite_space_message())
            return grid_size
        if grid_size is not None and n_iter > grid_size:
            warnings.warn(
                f"The total space of parameters {grid_size} is smaller than "
                f"n_iter={n_iter}. Running {grid_size} iterations. For exhaustive "
                f"searches, {self._exhaustive_hint}.",
                UserWarning,
            )
            return grid_size
        return n_iter

    def trials_dataframe(self):
        """The trials of the fitted search as a :class:`pandas.DataFrame`.

        One row per trial (see :meth:`sksearch.Study.trials_dataframe`), with the
        fold test scores in ``intermediate_<fold>`` columns.
        """
        check_is_fitted(self, "study_")
        return self.study_.trials_dataframe()


def _names_of(scorers):
    """The metric names of a multimetric scorer, ``None`` for a single one."""
    by_name = _compat.scorers_by_name(scorers)
    return None if by_name is None else list(by_name)


def _exact_params(sampler, trial):
    """The params a sampler gives exactly (scikit-learn's draws), or None."""
    exact = getattr(sampler, "exact_params", None)
    return None if exact is None else exact(trial)


def _replayed_params(sampler, space, trial):
    """The params of a trial of an earlier run: exactly as drawn when the
    sampler knows them, else rebuilt through the space."""
    exact = _exact_params(sampler, trial)
    return replay_params(space, trial) if exact is None else exact


def _interrupted_message(study, n_iter, first_number, persistent):
    """What a Ctrl-C leaves: the finished candidates kept, and those this run
    cut short (trial numbers from ``first_number``), which are no result and
    run again when the search resumes."""
    n_saved = len(_finished_with_folds(study))
    n_cut = sum(is_interrupted(t) for t in study.get_trials((TrialState.FAIL,))
                if t.number >= first_number)
    where = (f"study {study.study_name!r} of the storage: call fit again to resume"
             if persistent else
             "search.study_, in memory: pass storage='sqlite:///search.db' to "
             "resume after an interruption")
    cut = (f"; {n_cut} interrupted candidates are not results and run again on resume"
           if n_cut else "")
    return (f"sksearch: interrupted; {n_saved} of {n_iter} candidates are finished "
            f"and kept in {where}{cut}.")


def _finished_with_folds(study):
    return [t for t in study.get_trials((TrialState.COMPLETE, TrialState.PRUNED,
                                         TrialState.FAIL))
            if FOLDS_ATTR in t.system_attrs]


def _wait_for_others(study, poll_seconds=0.2):
    """Wait until the candidates that other processes sharing the storage are
    running now have finished: they count towards ``n_iter``, so the study's
    results include them (a dead process's are failed by the storage's
    staleness rule, see docs/persistence.md). Candidates started later are
    not waited for."""
    running = {t.trial_id for t in study.get_trials((TrialState.RUNNING,))}
    while running:
        time.sleep(poll_seconds)
        study.fail_stale_trials()
        running &= {t.trial_id for t in study.get_trials((TrialState.RUNNING,))}


def _check_callable_params(estimator, params):
    """Fail before any fit when a define-by-run space names a parameter the
    estimator does not have."""
    try:
        clone(estimator).set_params(**params)
    except ValueError as exc:
        raise ValueError(
            f"The callable param_distributions returned {params!r}, which the "
            f"estimator rejects: {exc}"
        ) from exc
