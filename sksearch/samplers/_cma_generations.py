"""How a study's trials become CMA-ES generations, and back.

What :class:`~sksearch.samplers.CmaEsSampler` keeps of one study's search
(:class:`Search`), how a told generation's points and losses are read from
its trials (integer and stepped coordinates snapped by the joint space's
:class:`~sksearch._box.UnitBox`), and the surrogate-assisted decisions (after
Hansen, 2019, "A Global Surrogate Assisted CMA-ES"): which sample the next
trial evaluates and when a generation may be told. Functions of the stored
trials alone, so that a replay reaches the same state; the sampler
orchestrates them.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from ..trial import TrialState
from . import _surrogate
from ._cma import _CMA

# trial system attributes: the generation, run and unit-box point of a trial,
# and (surrogate only) which sample of its generation it is
GEN, RESTART, X = "cma:generation", "cma:restart", "cma:x"
INDEX = "cma:index"


def draw_population(cma, restart, entropy):
    """The samples of ``cma``'s current generation: a function of its state
    and of (entropy, restart, generation) only, so a replay redraws them."""
    rng = np.random.default_rng([entropy, restart, cma.generation])
    return cma.ask(rng, cma.popsize)

def open_generation(search):
    """The current generation's samples, drawn once per generation."""
    key = (search.restart, search.cma.generation)
    if search.open is None or search.open.key != key:
        population = draw_population(search.cma, search.restart, search.entropy)
        search.open = OpenGeneration(key, population, search.box.snap(population))
    return search.open

def fit_surrogate(search, data):
    """The surrogate fitted to ``data`` (``(trial_id, point, loss)``, oldest
    first), or ``None`` when they are too few; cached by trial ids, since a
    model is a function of its data alone: it is needed again by later
    asks of the same generation and by the next generation."""
    key = tuple(map(_first, data))
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
                fits[key] = SurrogateFit(model, points, losses)
    return fits[key]

_first = itemgetter(0)


def model_trusted(fit, popsize, evaluated):
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

def lq_generation(search, members, sign):
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
    generation = open_generation(search)
    archive = search.archive
    members = sorted((t for t in members if t.system_attrs.get(INDEX, -1) >= 0),
                     key=lambda t: t.number)  # not the draws outside the generation
    fit = fit_surrogate(search, archive[-window:])
    told, checked = (), 0  # the batches grow: each adds the members after the last
    for size in _surrogate.batch_schedule(lam):
        batch = members[:size]
        if not _batch_finished(batch, size, checked):
            break
        told += _told_data(search, generation, batch[checked:], sign)
        checked = size
        data = (archive + told)[-window:]
        fit = fit_surrogate(search, data)
        if size < lam and not model_trusted(fit, lam, size):
            continue
        return ("tell", *_told_with_model(search, generation, batch, fit, sign), size, data)
    return ("open", _next_sample(generation, fit, members))


def _batch_finished(batch, size, checked):
    """Whether the generation's first ``size`` members are all there and, past
    the ``checked`` first ones, finished."""
    return len(batch) == size and not any(
        t.state is TrialState.RUNNING for t in batch[checked:])


def _told_data(search, generation, trials, sign):
    """The model's data of ``trials``: ``(trial_id, told point, loss)`` of
    the complete ones."""
    return tuple((t.trial_id, search.told_point(t, generation), sign * t.value)
                 for t in trials if is_complete(t))


def _told_with_model(search, generation, batch, fit, sign):
    """The points and losses of a generation told after evaluating ``batch``
    (:func:`surrogate_generation`)."""
    # the evaluated points as the fits saw them, unless a log-scaled grid
    # coordinate makes rounding them one by one the rule (Search.told_point)
    told_point = ((lambda t: search.told_point(t, generation)) if search.box.snap_is_rowwise
                  else None)
    return surrogate_generation(generation.rounded, batch, fit, sign, search.box, told_point)


def _next_sample(generation, fit, members):
    """The best sample (by the model of ``fit``) not handed out to one of the
    ``members`` yet, or ``None`` when every one is."""
    handed = {t.system_attrs[INDEX] for t in members}
    free = [i for i in generation.ranked_by(fit) if i not in handed]
    return free[0] if free else None


def run_over(cma, runs):
    """Whether the current run ends after its last told generation: it has
    converged or stagnated, or (BIPOP) a small-population run has used its
    budget, half the evaluations of the last large-population run."""
    run = runs[-1]
    if run["regime"] == "small":
        large = [r["evaluations"] for r in runs if r["regime"] in ("default", "large")]
        if run["evaluations"] >= large[-1] / 2:
            return True
    return cma.should_stop()


@dataclass
class Search:
    """The CMA-ES search of one study in one joint space, as far as the
    trials absorbed so far go (see ``CmaEsSampler._state``); a cache of the
    study's trial log."""

    names: tuple  # the joint space's parameters
    box: object  # UnitBox of the joint space: points to values, grid steps, snapping
    entropy: object  # seed of the restarts and of the surrogate's samples
    cma: _CMA  # after the last told generation
    runs: list  # one record per run: regime, popsize, sigma0, evaluations, mean0
    restart: int = 0
    surrogate: bool = False  # surrogate-assisted (lq) or plain CMA-ES
    # surrogate: (trial_id, told point, loss) of the complete trials told in
    # this run, the most recent last (the model's data)
    archive: tuple = ()
    position: int = 0  # in the study's trial log
    # finished trials of the generations not yet told, by (restart, generation)
    pending: dict = field(default_factory=dict)
    fits: dict = field(default_factory=dict)  # trial ids of the data -> SurrogateFit or None
    open: object = None  # OpenGeneration: the current generation's samples
    # trial_id -> the point CMA-ES is told (integers on their grid); a trial's
    # point is read at every ask of its generation
    told_points: dict = field(default_factory=dict)

    def told_point(self, trial, generation=None):
        """The point CMA-ES is told for ``trial``; with the trial's ``generation``
        (an :class:`OpenGeneration`), its row of the generation's rounded
        samples when the trial evaluated that sample. The row is the same to
        the bit when the box snaps row by row (``UnitBox.snap_is_rowwise``);
        otherwise the point is rounded alone, as it always was."""
        point = self.told_points.get(trial.trial_id)
        if point is None:
            attrs = trial.system_attrs
            index = attrs.get(INDEX, -1)
            if (generation is not None and index >= 0 and self.box.snap_is_rowwise
                    and generation.population[index].tolist() == attrs[X]):
                point = generation.rounded[index].copy()
            else:
                point = told_point_of(trial, self.box)
            self.told_points[trial.trial_id] = point
        return point


@dataclass
class OpenGeneration:
    """The samples of a generation being decided (surrogate), and their order
    by the last model asked for: both needed at every ask of the generation."""

    key: tuple  # (restart, generation)
    population: np.ndarray  # the samples, as drawn
    rounded: np.ndarray  # as evaluated (integers on their grid)
    ranking: tuple = (None, None)  # (SurrogateFit, sample indices best first)

    def ranked_by(self, fit):
        if fit is None:
            return range(len(self.population))
        if self.ranking[0] is not fit:
            order = np.argsort(fit.model.predict(self.rounded), kind="stable")
            self.ranking = (fit, [int(i) for i in order])
        return self.ranking[1]


@dataclass
class SurrogateFit:
    """A surrogate model and the data it was fitted to (the tau test reads
    them), with the test's outcomes by window size."""

    model: _surrogate.QuadraticModel
    points: np.ndarray
    losses: np.ndarray
    trusted: dict = field(default_factory=dict)

    def predict(self, points):
        return self.model.predict(points)


def bipop_regime(runs, default_popsize, default_sigma, rng):
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


def told_generation(trials, popsize, sign, box, told_point=None):
    """Points and losses of a told generation: complete trials by value, pruned
    ones after all of them (by their partial value).

    An integer or stepped coordinate is told as the value the trial evaluated,
    rounded onto its grid and mapped back to the unit box, not as the raw
    sample: CMA-ES then sees that every sample of a cell is the same point, and
    a settled integer's variance contracts down to the margin instead of
    wandering over a cell that the objective cannot tell apart.

    ``told_point``, if given, returns a trial's point already rounded (the
    same values: see :meth:`Search.told_point`)."""
    trials = sorted(trials, key=lambda t: t.number)[:popsize]
    worst = max((sign * t.value for t in trials if t.state is TrialState.COMPLETE),
                default=0.0)
    losses = []
    for t in trials:
        loss = sign * t.value if t.value is not None and math.isfinite(t.value) else math.inf
        if t.state is TrialState.PRUNED:
            loss = abs(worst) + 1e6 + (loss if math.isfinite(loss) else 1e6)
        losses.append(loss)
    if told_point is not None and trials:
        points = np.array([told_point(t) for t in trials], dtype=float)
    else:
        points = box.snap(np.array([t.system_attrs[X] for t in trials], dtype=float))
    return points, np.array(losses, dtype=float)


def told_point_of(trial, box):
    """A trial's point as told to CMA-ES (integers on their grid, snapped by
    the joint space's ``box``), a 1-D array (a fit stacks a few dozen of
    them: rows stack faster than tuples)."""
    return box.snap(np.array([trial.system_attrs[X]], dtype=float))[0]


def is_complete(trial):
    """A complete trial with a finite value: one the surrogate can learn from."""
    return (trial.state is TrialState.COMPLETE and trial.value is not None
            and math.isfinite(trial.value))


def surrogate_generation(points, evaluated, model, sign, box, told_point=None):
    """Points and losses of a generation told with a surrogate, from its
    samples as evaluated (``points``, integers on their grid).

    The evaluated samples carry their losses (pruned ones after the complete
    ones, as in :func:`told_generation`; failed or non-finite ones after those);
    the others the model's values, shifted by the model's error at the best
    evaluated sample and, if need be, further up so that none ranks before
    that sample. The evaluated ones come first, so a tie keeps them ahead.
    ``told_point`` as in :func:`told_generation`.
    """
    ok = [t for t in evaluated if _told_as_evaluated(t)]
    failed = [t.system_attrs[INDEX] for t in evaluated if not _told_as_evaluated(t)]
    if ok:
        ev_points, ev_losses = told_generation(ok, len(ok), sign, box, told_point)
    else:
        ev_points, ev_losses = np.empty((0, points.shape[1])), np.empty(0)
    finite = ev_losses[np.isfinite(ev_losses)]
    penalty = (float(np.max(np.abs(finite))) if len(finite) else 0.0) + 3e6
    used = {t.system_attrs[INDEX] for t in evaluated}
    rest = [i for i in range(len(points)) if i not in used]
    predicted = model.predict(points[rest]) if rest else np.empty(0)
    shift = _model_shift(model, ok, ev_points, ev_losses, predicted) if rest else 0.0
    return (np.vstack([ev_points, points[failed], points[rest]]),
            np.concatenate([ev_losses, np.full(len(failed), penalty), predicted + shift]))


def _told_as_evaluated(trial):
    """Whether an evaluated sample is told with its own loss: complete with a
    finite value, or pruned."""
    return is_complete(trial) or trial.state is TrialState.PRUNED


def _model_shift(model, ok, ev_points, ev_losses, predicted):
    """What the model's values of the samples not evaluated (``predicted``)
    are shifted by: the model's error at the best complete sample, or more
    so that none of them ranks before it; 0 without a complete sample."""
    complete = [k for k, t in enumerate(ok) if t.state is TrialState.COMPLETE]
    if not complete:
        return 0.0
    best = min(complete, key=lambda k: ev_losses[k])
    shift = ev_losses[best] - float(model.predict(ev_points[best:best + 1])[0])
    return max(shift, ev_losses[best] - float(np.min(predicted)))
