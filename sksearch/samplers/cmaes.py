"""CMA-ES for continuous and integer parameters, with restarts.

The optimiser itself, ``_CMA`` (module :mod:`._cma`), is framework-free and
follows Hansen's tutorial (The CMA Evolution Strategy: A Tutorial, arXiv
1604.00772). ``CmaEsSampler`` adapts it to a study: the numerical parameters
common to all trials are searched jointly in their unit box (log-scaled ones by
decades); categorical and conditional ones go to an independent sampler (TPE).

Generations map onto trials: a trial records its generation and the unit-box
point it was sampled at (system attributes ``cma:generation``, ``cma:restart``,
``cma:x``); a generation is told once ``popsize`` of its trials are finished.
The optimiser state is a pure function of those records, so a resumed study, or
another process sharing it, rebuilds the same state by replaying the told
generations. What the sampler derives from a study's trials (the joint space,
the search) is kept in the study's trial log (:attr:`sksearch.Study.trial_log`),
which reads each finished trial once; the unit box of the joint space is
:class:`sksearch._box.UnitBox`.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import math
import warnings

import numpy as np

from .._box import UnitBox
from .._validation import AnyOf, InstanceOf, Interval, Options, validate
from ..distributions import Categorical, NumericalDistribution
from ..trial import TrialState
from ._base import BaseSampler, joint_space
from ._cma import _CMA
from ._cma_generations import (
    GEN,
    INDEX,
    RESTART,
    Search,
    X,
    bipop_regime,
    is_complete,
    lq_generation,
    run_over,
    told_generation,
)
from ._fallback import IndependentFallback

__all__ = ["CmaEsSampler"]

_RESTART_SEED = "cma:restart_seed"  # study system attribute, unseeded samplers only
_SURROGATE = "cma:surrogate"  # study system attribute: the decision of surrogate="auto"
_MAX_SURROGATE_BATCH = 4  # trials at once up to which "auto" uses the surrogate


class CmaEsSampler(IndependentFallback, BaseSampler):
    """CMA-ES over the numerical parameters, with IPOP or BIPOP restarts.

    Parameters
    ----------
    popsize : int or None, default=None
        Trials per generation; ``None`` is ``4 + floor(3 ln n)``.
    sigma0 : float or None, default=None
        Initial step size in the unit box (``None``: 1/6 of the box, which did
        better than 0.3 on every problem of our suite at 200 trials).
    x0 : dict or None, default=None
        Initial mean, by parameter name (values as the estimator takes them);
        the centre of the box for others.
    restart_strategy : {"ipop", "bipop", None}, default="ipop"
        On convergence or stagnation, restart from a fresh point of the box:
        ``"ipop"`` with twice the population each time (Auger & Hansen, 2005);
        ``"bipop"`` alternating such large-population runs with short runs of
        smaller populations and steps, each regime getting about half the
        evaluations (Hansen, 2009; see Notes).
    separable : bool, default=False
        Learn a diagonal covariance only (sep-CMA): linear rather than cubic
        cost in the dimension, for spaces of dozens of parameters.
    lr_adapt : bool, default=False
        Learning-rate adaptation (Nomura, Akimoto & Ono, 2023): the mean and
        covariance updates are scaled down when they are dominated by noise,
        for noisy objectives (e.g. a cross-validated score on little data).
        Off by default: on our noiseless problems it slows convergence (see
        the benchmarks page).
    surrogate : {"auto", "lq", None}, default="auto"
        ``"lq"``: a global linear-quadratic surrogate model in the style of
        lq-CMA-ES (Hansen, 2019; see Notes). Each generation's samples become
        trials in the order a model fitted to the evaluated trials ranks them,
        a few at a time; once the model ranks the recent trials as their
        values do, the rest of the generation is ranked by the model without
        being evaluated. Fewer trials per generation where a quadratic
        describes the objective near the search; plain CMA-ES where it does
        not (rugged or noisy objectives). ``None``: plain CMA-ES, every sample
        a trial -- also the better choice when many trials run in parallel
        (in batches of 8 it did better than the surrogate, in batches of 4
        worse), since trials handed out while a batch is evaluated beyond what
        the generation needs are not used (see Notes and the benchmarks page).
        ``"auto"``: ``"lq"`` unless more than 4 trials of the study run at
        once, decided at the first CMA-ES ask and stored in the study (system
        attribute ``cma:surrogate``), so that a resumed or shared study keeps
        it. How many run at once is read from the stored trials: those started
        before the first finished trial ended (one with ``n_jobs=1``; a
        search with ``n_jobs`` workers keeps ``n_jobs`` candidates in flight,
        twice as many with a pruner; a batch asked together counts whole).
    n_startup_trials : int, default=0
        Random trials before CMA-ES starts.
    independent_sampler : BaseSampler or None, default=None
        For categorical and conditional parameters; ``None`` is TPE.
    seed : int or None, default=None
        Seeds the samples and the restarts. Unseeded, the restarts' seed is
        drawn from the sampler's generator and stored in the study, so two
        unseeded studies restart from different points.

    Notes
    -----
    **Trials that do not complete.** A failed trial (or one with a non-finite
    value) is not part of its generation: another trial is sampled in its
    place. A pruned trial counts, ranked after every complete one of its
    generation (by its partial value), so CMA-ES moves away from it.

    **Restarts and budget.** A run counts the trials told to it (``popsize``
    per generation); failed trials, replaced within their generation, and
    trials handed out for a generation that a restart made obsolete are not
    counted. With ``"bipop"`` the regime of each restart is decided from those
    counts, which follow from the stored trials, so a replay makes the same
    choice.

    **When a run ends.** Only when it is stuck, by the criteria and default
    tolerances of Hansen's tutorial (Sec. B.3): the step below ``1e-12`` of
    the initial one (TolX), the best value flat to ``1e-12`` of itself over
    ``10 + ceil(30 n / popsize)`` generations (TolHistFun), steps with no
    effect on the mean in floating point (NoEffectAxis, NoEffectCoord), or a
    covariance condition number above ``1e14``. A run that is still converging
    is not restarted, so within a few hundred trials restarts are rare; a run
    on a local optimum of a multimodal objective ends once it has converged
    there (after about 900 trials for a 3-D Rastrigin).

    **A joint space that shrinks.** The joint space is the intersection of
    the finished trials' spaces, so it loses a parameter when a trial
    finishes without it or with another distribution for it (say ``clf__C``
    over different ranges in two branches of a list-of-dicts space, the
    first trials all from one branch). That parameter then goes to the
    independent sampler, and CMA-ES starts afresh in the smaller space: trials
    sampled in the larger one (a longer ``cma:x``) are not replayed, since
    their points have other coordinates.

    **Integer and stepped parameters.** CMA-ES is told the value a trial
    evaluated (rounded onto the grid) rather than the continuous sample, so a
    settled integer's variance contracts; the margin (Hamano et al., 2022, in
    a diagonal form) keeps its spread at about one grid step, so that it can
    still move.

    **Surrogate** (``surrogate="lq"``, after Hansen, 2019, "A Global
    Surrogate Assisted CMA-ES"). A generation's ``popsize`` samples are drawn
    from a generator seeded with the sampler's seed (or the study's restart
    seed), the run and the generation, so every replay and every process
    draws the same ones; a trial records which sample it is (``cma:index``).
    The model -- linear, then diagonal-quadratic, then full quadratic (up to
    12 parameters; diagonal beyond) as data accumulate, fitted by
    rank-weighted least squares to the run's most recent complete trials --
    ranks the samples, and the best ``ceil(popsize / 10)`` become trials. The
    model is then refitted with them; if Kendall's tau between the model and
    the values of the most recent (at least 15) trials is at least 0.85, the
    generation is told: evaluated samples with their values, the others with
    the model's, shifted so that none ranks before the best evaluated one.
    Otherwise the number of evaluated samples grows by a factor 1.5 and the
    test is repeated, up to the whole generation (plain CMA-ES). Each run
    (restart) fits its own model. The decisions are a function of the stored
    trials, whatever order parallel trials finish in: a batch waits for its
    trials, and a trial asked for while one is running evaluates the next
    sample in the model's order, or, when all are handed out, a sample of
    its own. Such trials, beyond what the generation needed, inform neither
    the update nor the model, so parallel trials save less. A failed trial's
    sample is ranked last rather than replaced.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import CmaEsSampler
    >>> study = Study(direction="minimize", sampler=CmaEsSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2
    ...                + (t.suggest_float("y", -5, 5) + 2) ** 2, n_trials=120)
    >>> study.best_value < 1e-3
    True
    """

    #: CMA-ES ranks one objective.
    supports_multi_objective = False

    _parameter_constraints = {**BaseSampler._parameter_constraints,
        "popsize": AnyOf(Interval(int, 2), None),
        "sigma0": AnyOf(Interval(float, 0, 1, closed="right"), None),  # of the box
        "x0": AnyOf(None, InstanceOf(dict, description="a dict {name: value}")),
        "restart_strategy": AnyOf(Options("ipop", "bipop"), None),
        "separable": InstanceOf(bool, description="a bool"),
        "lr_adapt": InstanceOf(bool, description="a bool"),
        "surrogate": AnyOf(Options("auto", "lq"), None),
        "n_startup_trials": Interval(int, 0),
        "independent_sampler": AnyOf(None, InstanceOf(BaseSampler))}

    def __init__(self, *, popsize=None, sigma0=None, x0=None, restart_strategy="ipop",
                 separable=False, lr_adapt=False, surrogate="auto", n_startup_trials=0,
                 independent_sampler=None, seed=None):
        validate(self, {
            "popsize": popsize, "sigma0": sigma0, "x0": x0,
            "restart_strategy": restart_strategy, "separable": separable,
            "lr_adapt": lr_adapt, "surrogate": surrogate, "n_startup_trials": n_startup_trials,
            "independent_sampler": independent_sampler})
        super().__init__(seed=seed)
        self.popsize = popsize
        self.sigma0 = sigma0
        self.x0 = x0
        self.restart_strategy = restart_strategy
        self.separable = separable
        self.lr_adapt = lr_adapt
        self.surrogate = surrogate
        self.n_startup_trials = n_startup_trials
        self.independent_sampler = independent_sampler
        self._fallback = None
        self._warned = False
        # What the stored trials imply (the joint space so far, the search in
        # it) is not kept here but in the study's trial log, which drops it
        # when pickled and rebuilds it from the storage, to the same proposals.

    # -- independent fallback -------------------------------------------------------
    def sample_independent(self, study, trial, name, distribution):
        # Numerical parameters reach here only before the first trial finishes
        # (empty intersection) or when they are conditional (outside it).
        joint = joint_space(study)
        conditional = bool(joint.space) and name not in joint.space
        if not self._warned and (trial.number >= self.n_startup_trials) and (
                conditional or not isinstance(distribution, NumericalDistribution)
                or isinstance(distribution, Categorical)):
            self._warned = True
            warnings.warn(
                f"CmaEsSampler searches numerical parameters only; {name!r} "
                f"({distribution!r}) and any other categorical or conditional parameter "
                "are sampled by an independent sampler (TPE).", UserWarning, stacklevel=2)
        return self._independent().sample_independent(study, trial, name, distribution)

    # -- joint sampling -----------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        # The intersection only shrinks as trials finish, so it is narrowed by
        # the trials finished since the last ask instead of recomputed.
        return {n: d for n, d in joint_space(study).narrow(study).items()
                if isinstance(d, NumericalDistribution) and not isinstance(d, Categorical)}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        if self.n_startup_trials and study.n_trials(
                (TrialState.COMPLETE, TrialState.PRUNED)) < self.n_startup_trials:
            return {}
        names = sorted(search_space)
        search = self._search_for(study, names, [search_space[n] for n in names])
        generation, index = self._state(search, study, trial)
        if index is None:  # plain CMA-ES, or a trial beyond a handed-out generation
            point = search.cma.ask(self._rng, 1)[0]
        else:
            point = search.open.population[index]
        if search.surrogate:
            study.set_trial_system_attr(trial, INDEX, -1 if index is None else int(index))
        study.set_trial_system_attr(trial, RESTART, search.restart)
        study.set_trial_system_attr(trial, GEN, generation)
        study.set_trial_system_attr(trial, X, [float(v) for v in point])
        return dict(zip(names, search.box.from_unit(point[None, :])[0].tolist()))

    def _state(self, search, study, trial):
        """Bring ``search`` up to the stored trials and return the generation
        the new trial belongs to and (with a surrogate) which sample of that
        generation it gets (``None``: a sample of its own).

        Told generations never change, so the optimiser after the last told
        generation is a valid prefix of any replay of the study: each ask
        absorbs the trials finished since the previous one and tells the
        generations they complete, and the state is still a function of the
        stored trials alone (a fresh sampler replays them to the same state).
        """
        running = self._absorb(search, study, trial)
        sign = -1.0 if study.direction == "maximize" else 1.0
        index = None
        while True:
            cma = search.cma
            key = (search.restart, cma.generation)
            if not search.surrogate:
                told = search.pending.get(key, [])
                if len(told) < cma.popsize:
                    break
                cma.tell(*told_generation(told, cma.popsize, sign, search.box))
                search.runs[-1]["evaluations"] = cma.generation * cma.popsize
            else:
                outcome = lq_generation(
                    search, search.pending.get(key, []) + running.get(key, []), sign)
                if outcome[0] == "open":
                    index = outcome[1]
                    break
                _, points, losses, used, search.archive = outcome
                cma.tell(points, losses)
                search.runs[-1]["evaluations"] += used
            search.pending.pop(key, None)  # a told generation is never read again
            if self.restart_strategy is not None and run_over(cma, search.runs):
                search.restart += 1
                search.cma = self._fresh(search.restart, search.runs, search.names,
                                         search.box, search.entropy)
                search.archive = ()  # each run fits its own model
                search.pending = {k: v for k, v in search.pending.items()
                                  if k[0] >= search.restart}
        generation = search.cma.generation
        if not search.surrogate:
            key = (search.restart, generation)
            if len(search.pending.get(key, ())) + len(running.get(key, ())) >= search.cma.popsize:
                generation += 1  # this generation is fully handed out; ask ahead
        return generation, index

    def _search_for(self, study, names, dists):
        """The search of ``study`` in the joint space ``names``, kept in the
        study's trial log for this sampler (it depends on its settings)."""
        return study.trial_log.cache(("cmaes-search", tuple(names)),
                                     lambda: self._new_search(study, names, dists), owner=self)

    def _new_search(self, study, names, dists):
        """A search of ``study`` in the joint space ``names`` that has absorbed
        no trial yet: the next :meth:`_state` replays every stored one."""
        surrogate = self._uses_surrogate(study)
        entropy = self._restart_entropy(study) if self.restart_strategy or surrogate else None
        box = UnitBox(dists)
        runs = []
        cma = self._fresh(0, runs, names, box, entropy)
        return Search(names=tuple(names), box=box, entropy=entropy, cma=cma, runs=runs,
                      surrogate=surrogate)

    def _uses_surrogate(self, study):
        """Whether the search of ``study`` is surrogate-assisted (see the
        ``surrogate`` parameter): the stored decision of an ``"auto"`` sampler,
        or one made now from how many trials ran at once (:func:`_trials_at_once`).

        With more trials in flight than the surrogate's first batches, the
        trials handed out while a batch is evaluated inform nothing, and plain
        CMA-ES did better (8 at once) where the surrogate still won at 4
        (docs/benchmarks.md). The search's scheduler keeps a number of trials
        in flight that depends on ``n_jobs`` and the pruner, not on timing, so
        the decision is reproducible.
        """
        if self.surrogate != "auto":
            return self.surrogate == "lq"
        stored = study.system_attrs.get(_SURROGATE)
        if isinstance(stored, bool):
            return stored
        decision = _trials_at_once(study.trials) <= _MAX_SURROGATE_BATCH
        study.set_system_attr(_SURROGATE, decision)
        return decision

    def _absorb(self, search, study, trial):
        """Add the trials finished since the last ask to ``search.pending`` and
        return the running trials of the search, by ``(restart, generation)``.

        Only trials of the joint space (``cma:x`` as long as ``names``; see
        Notes) count, and only those of generations not yet told: the loop in
        :meth:`_state` never goes back. Plain CMA-ES keeps only the finished
        trials it tells (a failed one is replaced by another sample); with a
        surrogate every trial of a generation is a member, whatever its state.
        Running trials are read first: one that finishes in between is then
        seen twice, and counted as finished, rather than missed.
        """
        def of_search(t):
            attrs = t.system_attrs
            return (GEN in attrs and t.trial_id != trial.trial_id
                    and len(attrs.get(X, ())) == search.box.n_dims)

        running = [t for t in study.get_trials((TrialState.RUNNING,)) if of_search(t)]
        finished, search.position = study.trial_log.since(search.position)
        now = (search.restart, search.cma.generation)
        done = set()
        for t in finished:
            if not of_search(t):
                continue
            done.add(t.trial_id)
            key = (t.system_attrs[RESTART], t.system_attrs[GEN])
            if key < now:
                continue  # its generation was told, or its run is over
            if not search.surrogate and not (t.state is TrialState.PRUNED or is_complete(t)):
                continue  # replaced by another sample of the same generation
            search.pending.setdefault(key, []).append(t)
        by_key = {}
        for t in running:
            if t.trial_id not in done:
                by_key.setdefault((t.system_attrs[RESTART], t.system_attrs[GEN]), []).append(t)
        return by_key


    def _restart_entropy(self, study):
        """The seed of the restarts' generators: the sampler's ``seed``, or for
        an unseeded sampler a number drawn from its own generator and stored in
        the study (system attribute ``cma:restart_seed``), so that every
        replay, and every process sharing the study, restarts from the same
        points while two unseeded studies restart differently."""
        if self.seed is not None:
            return self.seed
        # read once per search (a new one only when the joint space shrinks)
        value = study.system_attrs.get(_RESTART_SEED)
        if value is None:
            value = int(self._rng.integers(2**63))
            study.set_system_attr(_RESTART_SEED, value)
        return value

    def _fresh(self, restart, runs, names, box, entropy):
        """Start run number ``restart`` and append its record to ``runs``.

        Everything random about a restart (its mean, BIPOP's draws) comes from a
        generator seeded with ``(entropy, restart)`` (see
        :meth:`_restart_entropy`), so a replay reproduces it.
        """
        n = len(names)
        default_popsize = self.popsize or 4 + int(3 * math.log(n))
        sigma = self.sigma0 or 1 / 6
        if restart == 0:
            mean = np.full(n, 0.5)
            given = [i for i, name in enumerate(names) if self.x0 and name in self.x0]
            if given:
                internal = np.full((1, n), np.nan)  # NaN: no x0, the centre
                for i in given:
                    internal[0, i] = box.distributions[i].to_internal(self.x0[names[i]])
                mean[given] = box.to_unit(internal)[0, given]
            regime, popsize = "default", default_popsize
        else:  # a new point of the box, reproducible from entropy and restart
            rng = np.random.default_rng([entropy, restart])
            mean = rng.uniform(0.1, 0.9, n)
            regime, popsize = "large", default_popsize * 2**restart  # IPOP
            if self.restart_strategy == "bipop":
                regime, popsize, sigma = bipop_regime(runs, default_popsize, sigma, rng)
        runs.append({"regime": regime, "popsize": popsize, "sigma0": sigma, "evaluations": 0,
                     "mean0": [float(v) for v in mean]})
        return _CMA(mean, sigma, popsize, box.unit_steps, separable=self.separable,
                    lr_adapt=self.lr_adapt)

    def rebuild_state(self, study, names):
        """The optimiser state replayed from the study's finished trials alone
        (a new search, not the one kept for the next ask); for checking that a
        resumed study continues the same search."""
        source = next(t for t in reversed(study.trials)  # the last one that has them all
                      if all(n in t.distributions for n in names))
        search = self._new_search(study, names, [source.distributions[n] for n in names])
        self._state(search, study, _NoTrial())
        return {**search.cma.state(), "restart": search.restart,
                "runs": copy.deepcopy(search.runs)}

    def __repr__(self):
        return (f"CmaEsSampler(popsize={self.popsize}, restart_strategy="
                f"{self.restart_strategy!r}, separable={self.separable}, "
                f"lr_adapt={self.lr_adapt}, surrogate={self.surrogate!r}, seed={self.seed!r})")


def _trials_at_once(trials):
    """How many trials ran at once at the start of a study: those started
    before the first finished one ended. A function of the order in which
    trials were asked and told, which a search fixes for given ``n_jobs``."""
    ends = [t.datetime_complete for t in trials
            if t.state.is_finished() and t.datetime_complete is not None]
    if not ends:
        return 1
    first_end = min(ends)
    return max(1, sum(t.datetime_start is not None and t.datetime_start < first_end
                      for t in trials))


class _NoTrial:
    """Stands for "no trial is being sampled" when replaying."""

    trial_id = -1
