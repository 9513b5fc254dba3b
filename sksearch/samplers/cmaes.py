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
generations.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..distributions import Categorical, NumericalDistribution
from ..trial import TrialState
from . import _surrogate
from ._base import BaseSampler, intersection_search_space
from ._cma import _CMA

__all__ = ["CmaEsSampler"]

_GEN, _RESTART, _X = "cma:generation", "cma:restart", "cma:x"
_INDEX = "cma:index"  # which sample of its generation a trial is (surrogate only)
_RESTART_SEED = "cma:restart_seed"  # study system attribute, unseeded samplers only


class CmaEsSampler(BaseSampler):
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
    surrogate : {"lq", None}, default="lq"
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

    def __init__(self, *, popsize=None, sigma0=None, x0=None, restart_strategy="ipop",
                 separable=False, lr_adapt=False, surrogate="lq", n_startup_trials=0,
                 independent_sampler=None, seed=None):
        if popsize is not None and (not isinstance(popsize, int) or popsize < 2):
            raise ValueError(f"popsize must be an int >= 2 or None, got {popsize!r}.")
        if sigma0 is not None and not (0 < sigma0 <= 1):
            raise ValueError(f"sigma0 must be in (0, 1] (a fraction of the box), got {sigma0!r}.")
        if restart_strategy not in ("ipop", "bipop", None):
            raise ValueError("restart_strategy must be 'ipop', 'bipop' or None, "
                             f"got {restart_strategy!r}.")
        if not isinstance(lr_adapt, bool):
            raise ValueError(f"lr_adapt must be True or False, got {lr_adapt!r}.")
        if surrogate not in (None, "lq"):
            raise ValueError(f"surrogate must be None or 'lq', got {surrogate!r}.")
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
        # Caches of what the stored trials imply, rebuilt from the storage
        # whenever they do not match the study asked for (so dropped when
        # pickled): the joint space so far, and the search in it.
        self._joint = None  # _JointSpace
        self._search = None  # _Search
        self._entropy_cache = None  # (study key, restart seed) of an unseeded sampler

    def reseed_rng(self, seed):
        super().reseed_rng(seed)
        if self._fallback is not None:
            self._fallback.reseed_rng(seed)

    def __getstate__(self):
        # The caches are rebuilt from the storage on the next ask (to the same
        # proposals): a pickled or deep-copied sampler does not carry the
        # trials, nor the storage object its cache keys refer to.
        state = self.__dict__.copy()
        state.update(_joint=None, _search=None, _entropy_cache=None)
        return state

    # -- independent fallback -------------------------------------------------------
    def _independent(self):
        if self._fallback is None:
            if self.independent_sampler is not None:
                self._fallback = self.independent_sampler
            else:
                from .tpe import TPESampler

                self._fallback = TPESampler(seed=self.seed)
        return self._fallback

    def sample_independent(self, study, trial, name, distribution):
        # Numerical parameters reach here only before the first trial finishes
        # (empty intersection) or when they are conditional (outside it).
        joint = self._joint
        conditional = (joint is not None and joint.identity == study.identity
                       and bool(joint.space) and name not in joint.space)
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
        joint = self._joint
        if joint is None or joint.identity != study.identity:
            joint = self._joint = _JointSpace(study.identity)
        finished, joint.cursor = study.get_trials_finished_since(joint.cursor)
        new = [t for t in finished if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        if new:
            merged = new if joint.space is None else [_SpaceRecord(joint.space)] + new
            joint.space = intersection_search_space(merged)
        return {n: d for n, d in (joint.space or {}).items()
                if isinstance(d, NumericalDistribution) and not isinstance(d, Categorical)}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        if self.n_startup_trials and study.n_trials(
                (TrialState.COMPLETE, TrialState.PRUNED)) < self.n_startup_trials:
            return {}
        names = sorted(search_space)
        dists = [search_space[n] for n in names]
        search, generation, index = self._state(study, trial, names, dists)
        if index is None:  # plain CMA-ES, or a trial beyond a handed-out generation
            point = search.cma.ask(self._rng, 1)[0]
        else:
            point = search.open.population[index]
        if self.surrogate is not None:
            study.set_trial_system_attr(trial, _INDEX, -1 if index is None else int(index))
        study.set_trial_system_attr(trial, _RESTART, search.restart)
        study.set_trial_system_attr(trial, _GEN, generation)
        study.set_trial_system_attr(trial, _X, [float(v) for v in point])
        return dict(zip(names, search.decoder.internal(point)))

    def _state(self, study, trial, names, dists):
        """Bring the search up to the stored trials and return it, with the
        generation the new trial belongs to and (with a surrogate) which
        sample of that generation it gets (``None``: a sample of its own).

        Told generations never change, so the optimiser after the last told
        generation is a valid prefix of any replay of the study: each ask
        absorbs the trials finished since the previous one and tells the
        generations they complete, and the state is still a function of the
        stored trials alone (a fresh sampler replays them to the same state).
        """
        search = self._search_for(study, names, dists)
        running = self._absorb(search, study, trial)
        sign = -1.0 if study.direction == "maximize" else 1.0
        index = None
        while True:
            cma = search.cma
            key = (search.restart, cma.generation)
            if self.surrogate is None:
                told = search.pending.get(key, [])
                if len(told) < cma.popsize:
                    break
                cma.tell(*_generation(told, cma.popsize, sign, search.grid))
                search.runs[-1]["evaluations"] = cma.generation * cma.popsize
            else:
                outcome = self._lq_generation(
                    search, search.pending.get(key, []) + running.get(key, []), sign)
                if outcome[0] == "open":
                    index = outcome[1]
                    break
                _, points, losses, used, search.archive = outcome
                cma.tell(points, losses)
                search.runs[-1]["evaluations"] += used
            search.pending.pop(key, None)  # a told generation is never read again
            if self.restart_strategy is not None and self._run_over(cma, search.runs):
                search.restart += 1
                search.cma = self._fresh(search.restart, search.runs, names, dists,
                                         search.steps, search.entropy)
                search.archive = ()  # each run fits its own model
                search.pending = {k: v for k, v in search.pending.items()
                                  if k[0] >= search.restart}
        generation = search.cma.generation
        if self.surrogate is None:
            key = (search.restart, generation)
            if len(search.pending.get(key, ())) + len(running.get(key, ())) >= search.cma.popsize:
                generation += 1  # this generation is fully handed out; ask ahead
        return search, generation, index

    def _search_for(self, study, names, dists):
        """The search of ``study`` in the joint space ``names``: the cached one,
        or a fresh one that the next absorb fills from all stored trials."""
        key = (study.identity, tuple(names))
        if self._search is None or self._search.key != key:
            entropy = (self._restart_entropy(study)
                       if self.restart_strategy or self.surrogate else None)
            steps = np.array([d._unit_step() for d in dists])
            runs = []
            cma = self._fresh(0, runs, names, dists, steps, entropy)
            self._search = _Search(key=key, n_dims=len(names), steps=steps, grid=_grid(dists),
                                   decoder=_Decoder(dists), entropy=entropy, cma=cma,
                                   runs=runs)
        return self._search

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
            return (_GEN in attrs and t.trial_id != trial.trial_id
                    and len(attrs.get(_X, ())) == search.n_dims)

        running = [t for t in study.get_trials((TrialState.RUNNING,)) if of_search(t)]
        finished, search.cursor = study.get_trials_finished_since(search.cursor)
        now = (search.restart, search.cma.generation)
        done = set()
        for t in finished:
            if not of_search(t):
                continue
            done.add(t.trial_id)
            key = (t.system_attrs[_RESTART], t.system_attrs[_GEN])
            if key < now:
                continue  # its generation was told, or its run is over
            if self.surrogate is None and not (t.state is TrialState.PRUNED or _complete(t)):
                continue  # replaced by another sample of the same generation
            search.pending.setdefault(key, []).append(t)
        by_key = {}
        for t in running:
            if t.trial_id not in done:
                by_key.setdefault((t.system_attrs[_RESTART], t.system_attrs[_GEN]), []).append(t)
        return by_key

    # -- surrogate ----------------------------------------------------------------------
    @staticmethod
    def _population(cma, restart, entropy):
        """The samples of ``cma``'s current generation: a function of its state
        and of (entropy, restart, generation) only, so a replay redraws them."""
        rng = np.random.default_rng([entropy, restart, cma.generation])
        return cma.ask(rng, cma.popsize)

    def _open_generation(self, search):
        """The current generation's samples, drawn once per generation."""
        key = (search.restart, search.cma.generation)
        if search.open is None or search.open.key != key:
            population = self._population(search.cma, search.restart, search.entropy)
            search.open = _OpenGeneration(key, population, _rounded(population, search.grid))
        return search.open

    @staticmethod
    def _fit(search, data):
        """The surrogate fitted to ``data`` (``(trial_id, point, loss)``, oldest
        first), or ``None`` when they are too few; cached by trial ids, since a
        model is a function of its data alone: it is needed again by later
        asks of the same generation and by the next generation."""
        key = tuple(d[0] for d in data)
        fits = search.fits
        if key not in fits:
            while len(fits) >= 32:  # the oldest fits belong to told generations
                del fits[next(iter(fits))]
            fits[key] = None
            if len(data):
                points = np.array([d[1] for d in data], dtype=float)
                losses = np.array([d[2] for d in data], dtype=float)
                model = _surrogate.QuadraticModel(points, losses)
                if model.kind is not None:
                    fits[key] = _Fit(model, points, losses)
        return fits[key]

    @staticmethod
    def _model_trusted(fit, popsize, evaluated):
        """Whether the model of ``fit`` ranks the most recent of its data as
        their losses do (Kendall's tau at least the threshold), on at least as
        many points as the test asks for."""
        k = _surrogate.tau_window(popsize, evaluated)
        if fit is None or len(fit.losses) < k:
            return False
        if k not in fit.trusted:  # asked again at every ask of an open generation
            tau = _surrogate.kendall_tau(fit.model.predict(fit.points[-k:]), fit.losses[-k:])
            fit.trusted[k] = tau >= _surrogate.TAU_THRESHOLD
        return fit.trusted[k]

    def _lq_generation(self, search, members, sign):
        """Decide the current generation of a surrogate-assisted run.

        ``members`` are the trials of the generation; ``search.archive`` holds
        the ``(trial_id, point, loss)`` of the complete trials told in the
        run's earlier generations, the most recent last. Returns ``("tell",
        points, losses, evaluated, archive)`` when the stored trials complete
        the generation, else ``("open", index)`` with the sample the next
        trial should evaluate (``None``: every sample is handed out).

        The decisions are a function of the stored trials alone, whatever the
        order in which parallel trials finish: at each batch size ``k`` the
        generation's first ``k`` trials (by number) are waited for; the model
        is fitted to the archive plus the complete ones among them, and
        tested. Trials handed out beyond the ``k`` of a told generation (while
        a batch was still running) inform neither the update nor the model.
        """
        lam = search.cma.popsize
        window = _surrogate.window_size(search.cma.dim, lam)
        generation = self._open_generation(search)
        archive = search.archive
        members = sorted((t for t in members if t.system_attrs.get(_INDEX, -1) >= 0),
                         key=lambda t: t.number)  # not the draws outside the generation
        fit = self._fit(search, archive[-window:])
        for size in _surrogate.batch_sizes(lam):
            batch = members[:size]
            if len(batch) < size or any(t.state is TrialState.RUNNING for t in batch):
                break
            told = tuple((t.trial_id, search.told_point(t), sign * t.value)
                         for t in batch if _complete(t))
            data = (archive + told)[-window:]
            fit = self._fit(search, data)
            if size < lam and not self._model_trusted(fit, lam, size):
                continue
            return ("tell", *_surrogate_generation(generation.rounded, batch, fit, sign,
                                                   search.grid), size, data)
        handed = {t.system_attrs[_INDEX] for t in members}
        free = [i for i in generation.ranked_by(fit) if i not in handed]
        return ("open", free[0] if free else None)

    @staticmethod
    def _run_over(cma, runs):
        """Whether the current run ends after its last told generation: it has
        converged or stagnated, or (BIPOP) a small-population run has used its
        budget, half the evaluations of the last large-population run."""
        run = runs[-1]
        if run["regime"] == "small":
            large = [r["evaluations"] for r in runs if r["regime"] in ("default", "large")]
            if run["evaluations"] >= large[-1] / 2:
                return True
        return cma.should_stop()

    def _restart_entropy(self, study):
        """The seed of the restarts' generators: the sampler's ``seed``, or for
        an unseeded sampler a number drawn from its own generator and stored in
        the study (system attribute ``cma:restart_seed``), so that every
        replay, and every process sharing the study, restarts from the same
        points while two unseeded studies restart differently."""
        if self.seed is not None:
            return self.seed
        key = (id(study), study.identity)
        if self._entropy_cache is not None and self._entropy_cache[0] == key:
            return self._entropy_cache[1]
        value = study.system_attrs.get(_RESTART_SEED)
        if value is None:
            value = int(self._rng.integers(2**63))
            study.set_system_attr(_RESTART_SEED, value)
        self._entropy_cache = (key, value)
        return value

    def _fresh(self, restart, runs, names, dists, steps, entropy):
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
            for i, (name, dist) in enumerate(zip(names, dists)):
                if self.x0 and name in self.x0:
                    mean[i] = float(dist._to_unit(dist.to_internal(self.x0[name])))
            regime, popsize = "default", default_popsize
        else:  # a new point of the box, reproducible from entropy and restart
            rng = np.random.default_rng([entropy, restart])
            mean = rng.uniform(0.1, 0.9, n)
            regime, popsize = "large", default_popsize * 2**restart  # IPOP
            if self.restart_strategy == "bipop":
                regime, popsize, sigma = _bipop_regime(runs, default_popsize, sigma, rng)
        runs.append({"regime": regime, "popsize": popsize, "sigma0": sigma, "evaluations": 0,
                     "mean0": [float(v) for v in mean]})
        return _CMA(mean, sigma, popsize, steps, separable=self.separable,
                    lr_adapt=self.lr_adapt)

    def rebuild_state(self, study, names):
        """The optimiser state replayed from the study's trials alone (no cache);
        for checking that a resumed study continues the same search."""
        self._search = None
        source = next(t for t in reversed(study.trials)  # the last one that has them all
                      if all(n in t.distributions for n in names))
        dists = [source.distributions[n] for n in names]
        search, _, _ = self._state(study, _NoTrial(), names, dists)
        return {**search.cma.state(), "restart": search.restart,
                "runs": copy.deepcopy(search.runs)}

    def __repr__(self):
        return (f"CmaEsSampler(popsize={self.popsize}, restart_strategy="
                f"{self.restart_strategy!r}, separable={self.separable}, "
                f"lr_adapt={self.lr_adapt}, surrogate={self.surrogate!r}, seed={self.seed!r})")


@dataclass
class _JointSpace:
    """The intersection of the finished trials' spaces in one study, narrowed
    by the trials finished since the last ask (``cursor``)."""

    identity: object  # the study's (see Study.identity)
    cursor: object = None  # of study.get_trials_finished_since
    space: dict = None  # None until a trial has finished


@dataclass
class _Search:
    """The CMA-ES search of one study in one joint space, as far as the
    trials absorbed so far go (see :meth:`CmaEsSampler._state`)."""

    key: tuple  # (study identity, parameter names)
    n_dims: int
    steps: np.ndarray  # grid step of each coordinate in the unit box, 0 if continuous
    grid: tuple  # the integer and stepped coordinates (see _grid)
    decoder: object  # _Decoder: unit-box points to parameter values
    entropy: object  # seed of the restarts and of the surrogate's samples
    cma: _CMA  # after the last told generation
    runs: list  # one record per run: regime, popsize, sigma0, evaluations, mean0
    restart: int = 0
    # surrogate: (trial_id, told point, loss) of the complete trials told in
    # this run, the most recent last (the model's data)
    archive: tuple = ()
    cursor: object = None  # of study.get_trials_finished_since
    # finished trials of the generations not yet told, by (restart, generation)
    pending: dict = field(default_factory=dict)
    fits: dict = field(default_factory=dict)  # trial ids of the data -> _Fit or None
    open: object = None  # _OpenGeneration: the current generation's samples
    # trial_id -> the point CMA-ES is told (integers on their grid); a trial's
    # point is read at every ask of its generation
    told_points: dict = field(default_factory=dict)

    def told_point(self, trial):
        point = self.told_points.get(trial.trial_id)
        if point is None:
            point = self.told_points[trial.trial_id] = _told_point(trial, self.grid)
        return point


class _Decoder:
    """A unit-box point to the internal values of the joint space's parameters.

    The linear (not log-scaled) coordinates are mapped together, with the
    arithmetic of ``NumericalDistribution._from_unit`` element by element
    (clip to the box, scale, round onto the step grid, clip to the bounds), so
    the values are the same to the bit; the log-scaled ones go through their
    distribution, so that ``exp`` is the same call as there. A distribution
    at a time cost about as much as the rest of an ask.
    """

    def __init__(self, dists):
        self.logs = [(j, d) for j, d in enumerate(dists) if d.log]
        linear = [(j, d) for j, d in enumerate(dists) if not d.log]
        self.linear = np.array([j for j, _ in linear], dtype=int)
        bounds = [d._unit_bounds() for _, d in linear]
        self.lo = np.array([lo for lo, _ in bounds])
        self.width = np.array([hi - lo for lo, hi in bounds])
        self.low = np.array([float(d.low) for _, d in linear])
        self.top = np.array([float(d._grid_high) for _, d in linear])
        self.stepped = np.array([k for k, (_, d) in enumerate(linear) if d.step is not None],
                                dtype=int)
        self.step = np.array([float(linear[k][1].step) for k in self.stepped])

    def internal(self, point):
        """Internal values (a list of floats) of ``point``, by coordinate."""
        out = [0.0] * (len(self.linear) + len(self.logs))
        x = self.lo + np.clip(np.asarray(point, dtype=float)[self.linear], 0.0, 1.0) * self.width
        if len(self.stepped):
            low = self.low[self.stepped]
            x[self.stepped] = low + np.round((x[self.stepped] - low) / self.step) * self.step
        for j, v in zip(self.linear.tolist(), np.clip(x, self.low, self.top).tolist()):
            out[j] = v
        for j, d in self.logs:
            out[j] = float(d._from_unit(point[j]))
        return out


@dataclass
class _OpenGeneration:
    """The samples of a generation being decided (surrogate), and their order
    by the last model asked for: both needed at every ask of the generation."""

    key: tuple  # (restart, generation)
    population: np.ndarray  # the samples, as drawn
    rounded: np.ndarray  # as evaluated (integers on their grid)
    ranking: tuple = (None, None)  # (_Fit, sample indices best first)

    def ranked_by(self, fit):
        if fit is None:
            return range(len(self.population))
        if self.ranking[0] is not fit:
            order = np.argsort(fit.model.predict(self.rounded), kind="stable")
            self.ranking = (fit, [int(i) for i in order])
        return self.ranking[1]


@dataclass
class _Fit:
    """A surrogate model and the data it was fitted to (the tau test reads
    them), with the test's outcomes by window size."""

    model: _surrogate.QuadraticModel
    points: np.ndarray
    losses: np.ndarray
    trusted: dict = field(default_factory=dict)

    def predict(self, points):
        return self.model.predict(points)


class _SpaceRecord:
    """A finished-trial stand-in carrying an already intersected space."""

    state = TrialState.COMPLETE

    def __init__(self, distributions):
        self.distributions = distributions


class _NoTrial:
    """Stands for "no trial is being sampled" when replaying."""

    trial_id = -1


def _bipop_regime(runs, default_popsize, default_sigma, rng):
    """Regime, population size and initial step of a BIPOP restart (Hansen,
    2009, "Benchmarking a BI-population CMA-ES on the BBOB-2009 function
    testbed", Sec. 2).

    Two restart regimes share the evaluations: the regime that has used fewer
    so far is launched (the first, default run belongs to neither; ties go to
    the large regime, so the first restart is large). Large runs double the
    population each time, ``lambda_l = 2^k lambda_def`` with the default step;
    small runs draw ``lambda_s = floor(lambda_def (lambda_l / (2 lambda_def))^(U^2))``
    and ``sigma_s = sigma_def 10^(-2 U')`` (``U, U'`` uniform on [0, 1],
    ``lambda_l`` the last large population), and stop after half the
    evaluations of the last large run, so both regimes get about the same
    budget. Evaluations are told trials: ``popsize`` per told generation.
    """
    large = [r for r in runs if r["regime"] == "large"]
    small = [r for r in runs if r["regime"] == "small"]
    u, u_sigma = rng.uniform(size=2)
    if sum(r["evaluations"] for r in large) <= sum(r["evaluations"] for r in small):
        return "large", default_popsize * 2 ** (len(large) + 1), default_sigma
    last_large = large[-1]["popsize"]
    popsize = int(default_popsize * (last_large / (2 * default_popsize)) ** (u**2))
    return "small", max(popsize, 2), float(default_sigma * 10 ** (-2 * u_sigma))


def _generation(trials, popsize, sign, grid):
    """Points and losses of a told generation: complete trials by value, pruned
    ones after all of them (by their partial value).

    An integer or stepped coordinate is told as the value the trial evaluated,
    rounded onto its grid and mapped back to the unit box, not as the raw
    sample: CMA-ES then sees that every sample of a cell is the same point, and
    a settled integer's variance contracts down to the margin instead of
    wandering over a cell that the objective cannot tell apart."""
    trials = sorted(trials, key=lambda t: t.number)[:popsize]
    worst = max((sign * t.value for t in trials if t.state is TrialState.COMPLETE),
                default=0.0)
    losses = []
    for t in trials:
        loss = sign * t.value if t.value is not None and math.isfinite(t.value) else math.inf
        if t.state is TrialState.PRUNED:
            loss = abs(worst) + 1e6 + (loss if math.isfinite(loss) else 1e6)
        losses.append(loss)
    points = _rounded(np.array([t.system_attrs[_X] for t in trials], dtype=float), grid)
    return points, np.array(losses, dtype=float)


def _grid(dists):
    """The integer and stepped coordinates, as ``(index, distribution)``: the
    ones :func:`_rounded` moves (found once per search, not at every call)."""
    return tuple((j, d) for j, d in enumerate(dists) if d._unit_step() > 0)


def _rounded(points, grid):
    """Points with integer and stepped coordinates (``grid``, see :func:`_grid`)
    moved onto their grid, in the unit box (what the objective sees; see
    :func:`_generation`)."""
    points = np.array(points, dtype=float)
    for j, d in grid:
        points[:, j] = d._to_unit(d._from_unit(points[:, j]))
    return points


def _told_point(trial, grid):
    """A trial's point as told to CMA-ES (integers on their grid), a tuple."""
    return tuple(_rounded(np.array([trial.system_attrs[_X]], dtype=float), grid)[0])


def _complete(trial):
    """A complete trial with a finite value: one the surrogate can learn from."""
    return (trial.state is TrialState.COMPLETE and trial.value is not None
            and math.isfinite(trial.value))


def _surrogate_generation(points, evaluated, model, sign, grid):
    """Points and losses of a generation told with a surrogate, from its
    samples as evaluated (``points``, integers on their grid).

    The evaluated samples carry their losses (pruned ones after the complete
    ones, as in :func:`_generation`; failed or non-finite ones after those);
    the others the model's values, shifted by the model's error at the best
    evaluated sample and, if need be, further up so that none ranks before
    that sample. The evaluated ones come first, so a tie keeps them ahead.
    """
    ok = [t for t in evaluated if _complete(t) or t.state is TrialState.PRUNED]
    failed = [t.system_attrs[_INDEX] for t in evaluated
              if not (_complete(t) or t.state is TrialState.PRUNED)]
    if ok:
        ev_points, ev_losses = _generation(ok, len(ok), sign, grid)
    else:
        ev_points, ev_losses = np.empty((0, points.shape[1])), np.empty(0)
    finite = ev_losses[np.isfinite(ev_losses)]
    penalty = (float(np.max(np.abs(finite))) if len(finite) else 0.0) + 3e6
    used = {t.system_attrs[_INDEX] for t in evaluated}
    rest = [i for i in range(len(points)) if i not in used]
    predicted = model.predict(points[rest]) if rest else np.empty(0)
    complete = [k for k, t in enumerate(ok) if t.state is TrialState.COMPLETE]
    shift = 0.0
    if complete and rest:
        best = min(complete, key=lambda k: ev_losses[k])
        shift = ev_losses[best] - float(model.predict(ev_points[best:best + 1])[0])
        shift = max(shift, ev_losses[best] - float(np.min(predicted)))
    return (np.vstack([ev_points, points[failed], points[rest]]),
            np.concatenate([ev_losses, np.full(len(failed), penalty), predicted + shift]))
