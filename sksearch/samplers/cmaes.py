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
        # (study key, restart, _CMA, run records, surrogate data): the last
        # state, to avoid replays
        self._live = None
        # surrogate fits by the trial ids of their data: each is needed again
        # by later asks of the same generation and by the next generation
        self._fits = {}

    def reseed_rng(self, seed):
        super().reseed_rng(seed)
        if self._fallback is not None:
            self._fallback.reseed_rng(seed)

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
        seen, space = getattr(self, "_intersection", ((None,), None))
        conditional = seen[0] == id(study) and bool(space) and name not in space
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
    def _trials(self, study, trial):
        """The study's trials, read once per asked trial (infer and sample share it)."""
        key = (id(study), trial.trial_id, study.n_trials())
        if getattr(self, "_trials_cache", (None,))[0] != key:
            self._trials_cache = (key, study.get_trials())
        return self._trials_cache[1]

    def infer_relative_search_space(self, study, trial):
        # The intersection only shrinks as trials finish, so it is updated with
        # the trials finished since the last ask instead of recomputed.
        finished = [t for t in self._trials(study, trial)
                    if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        seen, space = getattr(self, "_intersection", (None, None))
        if seen is None or seen[0] != id(study):
            seen, space = (id(study), set()), None
        new = [t for t in finished if t.trial_id not in seen[1]]
        if new:
            merged = new if space is None else [_SpaceRecord(space)] + new
            space = intersection_search_space(merged)
            seen[1].update(t.trial_id for t in new)
        self._intersection = (seen, space)
        return {n: d for n, d in (space or {}).items()
                if isinstance(d, NumericalDistribution) and not isinstance(d, Categorical)}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        finished = study.n_trials((TrialState.COMPLETE, TrialState.PRUNED))
        if finished < self.n_startup_trials:
            return {}
        names = sorted(search_space)
        dists = [search_space[n] for n in names]
        cma, restart, generation, index = self._state(study, trial, names, dists)
        if index is None:  # plain CMA-ES, or a trial beyond a handed-out generation
            point = cma.ask(self._rng, 1)[0]
        else:
            point = self._population(cma, restart, self._entropy)[index]
        if self.surrogate is not None:
            study.set_trial_system_attr(trial, _INDEX, -1 if index is None else int(index))
        study.set_trial_system_attr(trial, _RESTART, restart)
        study.set_trial_system_attr(trial, _GEN, generation)
        study.set_trial_system_attr(trial, _X, [float(v) for v in point])
        return {n: float(d._from_unit(v)) for n, d, v in zip(names, dists, point)}

    def _state(self, study, trial, names, dists):
        """Replay the told generations of the study into a ``_CMA`` and return it
        with the restart and generation the new trial belongs to, and (with a
        surrogate) which sample of that generation it gets (``None``: a sample
        of its own)."""
        sign = -1.0 if study.direction == "maximize" else 1.0
        records = {}
        assigned = {}
        members = {}  # surrogate: every trial of a generation, whatever its state
        for t in self._trials(study, trial):
            if _GEN not in t.system_attrs or t.trial_id == trial.trial_id:
                continue
            if len(t.system_attrs.get(_X, ())) != len(names):
                continue  # sampled in an earlier, larger joint space (see Notes)
            key = (t.system_attrs[_RESTART], t.system_attrs[_GEN])
            if self.surrogate is not None:
                members.setdefault(key, []).append(t)
                continue
            if t.state is TrialState.FAIL or (t.state is TrialState.COMPLETE and not (
                    t.value is not None and math.isfinite(t.value))):
                continue  # replaced by another sample of the same generation
            assigned[key] = assigned.get(key, 0) + 1
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
                records.setdefault(key, []).append(t)
        steps = np.array([d._unit_step() for d in dists])
        study_key = (id(study), tuple(names))
        entropy = (self._restart_entropy(study)
                   if self.restart_strategy or self.surrogate else None)
        self._entropy = entropy  # for sample_relative to redraw the population
        if self._live is not None and self._live[0] == study_key:
            # Told generations never change, so the last state is a valid prefix
            # of the replay; continue from a copy of it.
            restart, cma, runs = self._live[1], copy.deepcopy(self._live[2]), copy.deepcopy(
                self._live[3])
            archive = self._live[4]
        else:
            restart, runs, archive = 0, [], ()
            cma = self._fresh(restart, runs, names, dists, steps, entropy)
        index = None
        while True:
            if self.surrogate is None:
                told = records.get((restart, cma.generation), [])
                if len(told) < cma.popsize:
                    break
                cma.tell(*_generation(told, cma.popsize, sign, dists))
                runs[-1]["evaluations"] = cma.generation * cma.popsize
            else:
                outcome = self._lq_generation(
                    cma, restart, entropy, members.get((restart, cma.generation), []),
                    archive, sign, dists)
                if outcome[0] == "open":
                    index = outcome[1]
                    break
                _, points, losses, used, archive = outcome
                cma.tell(points, losses)
                runs[-1]["evaluations"] += used
            if self.restart_strategy is not None and self._run_over(cma, runs):
                restart += 1
                cma = self._fresh(restart, runs, names, dists, steps, entropy)
                archive = ()  # each run fits its own model
        self._live = (study_key, restart, copy.deepcopy(cma), copy.deepcopy(runs), archive)
        generation = cma.generation
        if self.surrogate is None and assigned.get((restart, generation), 0) >= cma.popsize:
            generation += 1  # this generation is fully handed out; ask ahead
        return cma, restart, generation, index

    # -- surrogate ----------------------------------------------------------------------
    @staticmethod
    def _population(cma, restart, entropy):
        """The samples of ``cma``'s current generation: a function of its state
        and of (entropy, restart, generation) only, so a replay redraws them."""
        rng = np.random.default_rng([entropy, restart, cma.generation])
        return cma.ask(rng, cma.popsize)

    def _fit(self, data):
        """The surrogate fitted to ``data`` (``(trial_id, point, loss)``, oldest
        first), or ``None`` when they are too few; cached by trial ids, since a
        model is a function of its data alone. The model keeps its data, for
        the test."""
        key = tuple(d[0] for d in data)
        if key not in self._fits:
            if len(self._fits) > 32:
                self._fits.clear()
            points = np.array([d[1] for d in data], dtype=float)
            losses = np.array([d[2] for d in data], dtype=float)
            model = _surrogate.QuadraticModel(points, losses) if len(data) else None
            if model is not None and model.kind is not None:
                model.data = (points, losses)
                self._fits[key] = model
            else:
                self._fits[key] = None
        return self._fits[key]

    @staticmethod
    def _model_trusted(model, popsize, evaluated):
        """Whether ``model`` ranks the most recent of its data as their losses
        do (Kendall's tau at least the threshold), on at least as many points
        as the test asks for."""
        k = _surrogate.tau_window(popsize, evaluated)
        if model is None or len(model.data[1]) < k:
            return False
        points, losses = model.data[0][-k:], model.data[1][-k:]
        return _surrogate.kendall_tau(model.predict(points), losses) >= _surrogate.TAU_THRESHOLD

    def _lq_generation(self, cma, restart, entropy, members, archive, sign, dists):
        """Decide the current generation of a surrogate-assisted run.

        ``members`` are the trials of the generation; ``archive`` holds the
        ``(trial_id, point, loss)`` of the complete trials told in the run's
        earlier generations, the most recent last. Returns ``("tell", points,
        losses, evaluated, archive)`` when the stored trials complete the
        generation, else ``("open", index)`` with the sample the next trial
        should evaluate (``None``: every sample is handed out).

        The decisions are a function of the stored trials alone, whatever the
        order in which parallel trials finish: at each batch size ``k`` the
        generation's first ``k`` trials (by number) are waited for; the model
        is fitted to the archive plus the complete ones among them, and
        tested. Trials handed out beyond the ``k`` of a told generation (while
        a batch was still running) inform neither the update nor the model.
        """
        lam = cma.popsize
        window = _surrogate.window_size(cma.dim, lam)
        population = self._population(cma, restart, entropy)
        members = sorted((t for t in members if t.system_attrs.get(_INDEX, -1) >= 0),
                         key=lambda t: t.number)  # not the draws outside the generation
        model = self._fit(archive[-window:])
        for size in _surrogate.batch_sizes(lam):
            batch = members[:size]
            if len(batch) < size or any(t.state is TrialState.RUNNING for t in batch):
                break
            told = tuple((t.trial_id, _told_point(t, dists), sign * t.value)
                         for t in batch if _complete(t))
            data = (archive + told)[-window:]
            model = self._fit(data)
            if size < lam and not self._model_trusted(model, lam, size):
                continue
            return ("tell", *_surrogate_generation(population, batch, model, sign, dists),
                    size, data)
        handed = {t.system_attrs[_INDEX] for t in members}
        ranked = (np.argsort(model.predict(_rounded(population, dists)), kind="stable")
                  if model is not None else range(lam))
        free = [int(i) for i in ranked if i not in handed]
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
        cached = getattr(self, "_entropy_cache", (None, None))
        key = (id(study), study.identity)
        if cached[0] == key:
            return cached[1]
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
        self._live, self._fits = None, {}
        source = next(t for t in reversed(study.trials)  # the last one that has them all
                      if all(n in t.distributions for n in names))
        dists = [source.distributions[n] for n in names]
        cma, restart, _, _ = self._state(study, _NoTrial(), names, dists)
        return {**cma.state(), "restart": restart, "runs": copy.deepcopy(self._live[3])}

    def __repr__(self):
        return (f"CmaEsSampler(popsize={self.popsize}, restart_strategy="
                f"{self.restart_strategy!r}, separable={self.separable}, "
                f"lr_adapt={self.lr_adapt}, surrogate={self.surrogate!r}, seed={self.seed!r})")


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


def _generation(trials, popsize, sign, dists):
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
    points = _rounded(np.array([t.system_attrs[_X] for t in trials], dtype=float), dists)
    return points, np.array(losses, dtype=float)


def _rounded(points, dists):
    """Points with integer and stepped coordinates moved onto their grid, in
    the unit box (what the objective sees; see :func:`_generation`)."""
    points = np.array(points, dtype=float)
    for j, d in enumerate(dists):
        if d._unit_step() > 0:
            points[:, j] = d._to_unit(d._from_unit(points[:, j]))
    return points


def _told_point(trial, dists):
    """A trial's point as told to CMA-ES (integers on their grid), a tuple."""
    return tuple(_rounded(np.array([trial.system_attrs[_X]], dtype=float), dists)[0])


def _complete(trial):
    """A complete trial with a finite value: one the surrogate can learn from."""
    return (trial.state is TrialState.COMPLETE and trial.value is not None
            and math.isfinite(trial.value))


def _surrogate_generation(population, evaluated, model, sign, dists):
    """Points and losses of a generation told with a surrogate.

    The evaluated samples carry their losses (pruned ones after the complete
    ones, as in :func:`_generation`; failed or non-finite ones after those);
    the others the model's values, shifted by the model's error at the best
    evaluated sample and, if need be, further up so that none ranks before
    that sample. The evaluated ones come first, so a tie keeps them ahead.
    """
    ok = [t for t in evaluated if _complete(t) or t.state is TrialState.PRUNED]
    failed = [t.system_attrs[_INDEX] for t in evaluated
              if not (_complete(t) or t.state is TrialState.PRUNED)]
    points = _rounded(population, dists)
    if ok:
        ev_points, ev_losses = _generation(ok, len(ok), sign, dists)
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
