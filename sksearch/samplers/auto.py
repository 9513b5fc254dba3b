"""``sampler="auto"``: a GP for numerical, mixed and simply branched spaces, TPE for the others.

The choice is made once, when the startup trials have finished and the
space is known from them, and is stored in the study (system attributes
``auto:sampler``, ``auto:reason`` and ``auto:gp_trials``), so a resumed
study, or another process sharing it, keeps it. A GP study hands over to TPE
from trial ``gp_trials`` on (200 by default): by then the GP's ask costs a
fifth of a second and grows with the trials (it models at most 200 of them),
while TPE's stays at milliseconds and learns from the whole history the GP
built. ``benchmarks/small_budget.py`` measures the rule against each sampler
alone.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

from .._validation import Interval, validate
from ..distributions import Categorical
from ..trial import TrialState
from ._base import BaseSampler, intersection_search_space
from ._gp_space import SpaceRecords
from .gp import GPSampler
from .tpe import TPESampler

__all__ = ["AutoSampler", "choose_sampler"]

CHOICE_ATTR = "auto:sampler"  # study system attribute: "gp" or "tpe"
REASON_ATTR = "auto:reason"  # study system attribute: why, in words
HANDOVER_ATTR = "auto:gp_trials"  # study system attribute: the trial TPE takes over at
MAX_GP_DIMS = 20  # parameters up to which the GP is chosen


def choose_sampler(trials, n_objectives=1):
    """The sampler ``"auto"`` runs for a study whose finished trials are
    ``trials``, and why.

    * ``"tpe"`` for several objectives or constraints (the GP models one
      objective); for conditional spaces where some parameter's presence is
      not decided by one categorical parameter that every trial has (nested
      branches, an ``if`` on a number, a name used with several
      distributions: TPE models each group of parameters on the trials that
      have it); for spaces of more categorical parameters than numerical
      ones; and beyond 20 parameters;
    * ``"gp"`` otherwise: numerical and mixed spaces, and conditional ones
      whose branches a categorical decides, where it had the lowest regret
      at 10 to 50 trials in our benchmark.

    Parameters
    ----------
    trials : list of FrozenTrial
        Finished trials (the first ones of the study).
    n_objectives : int, default=1

    Returns
    -------
    choice : {"gp", "tpe"}
    reason : str
    """
    if n_objectives > 1:
        return "tpe", "several objectives"
    done = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    if any(t.constraints for t in done):
        return "tpe", "constraints"
    space, reason = _modelled_space(done)
    if space is None:
        return "tpe", reason
    params = [d for d in space.values() if not d.is_single()]
    n_categorical = sum(isinstance(d, Categorical) for d in params)
    if 2 * n_categorical > len(params):
        return "tpe", "mostly categorical space"
    if len(params) > MAX_GP_DIMS:
        return "tpe", f"more than {MAX_GP_DIMS} parameters"
    return "gp", reason


def _modelled_space(done):
    """The space the GP would model from the trials ``done``, and in words
    what kind it is; ``None`` for a conditional space it cannot model."""
    spaces = {tuple(sorted(t.distributions.items(), key=lambda kv: kv[0])) for t in done}
    if len(spaces) <= 1:
        return (dict(next(iter(spaces))) if spaces else {}), "numerical or mixed space"
    joint = intersection_search_space(done)
    records = SpaceRecords()
    records.records = [(t.distributions, {n: t.internal_params[n] for n, d in
                                          t.distributions.items() if isinstance(d, Categorical)})
                       for t in done]
    branches = records.branches_of(joint)
    outside = {n for t in done for n, d in t.distributions.items()
               if n not in joint and not d.is_single()}
    if not joint or outside - set(branches):
        return None, "conditional space"
    return {**joint, **{n: b[0] for n, b in branches.items()}}, \
        "conditional space whose branches a categorical decides"


class AutoSampler(BaseSampler):
    """Chooses a sampler by the space: :class:`GPSampler` for numerical and
    mixed spaces and conditional ones whose branches a categorical decides,
    :class:`TPESampler` for other conditional, mostly categorical or large
    spaces, and for several objectives or constraints.

    The first ``n_startup_trials`` trials are the GP sampler's space-filling
    (Sobol) points, which suit either; the choice is then made from the
    finished trials (:func:`choose_sampler`) and stored in the study (system
    attributes ``auto:sampler``, ``auto:reason`` and ``auto:gp_trials``), so
    that a resumed or shared study keeps it. A study of several objectives
    chooses TPE at once. For long runs a GP study hands over to TPE, which
    learns from every trial so far, at trial number ``gp_trials``: the GP's
    ask then costs ~0.2 s and more (it fits at most 200 trials), TPE's a few
    milliseconds.

    Parameters
    ----------
    n_startup_trials : int, default=10
        Trials before the choice; also each sampler's startup.
    gp_trials : int, default=200
        Trial number from which a study that chose the GP is sampled by TPE
        (the number stored with the choice holds for the study).
    seed : int or None, default=None

    Attributes
    ----------
    choice : {"gp", "tpe"} or None
        The choice for the last study asked, ``None`` before it is made.

    Examples
    --------
    >>> from sksearch import Study
    >>> study = Study(direction="minimize", sampler="auto", random_state=0)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
    >>> study.system_attrs["auto:sampler"]
    'gp'
    """

    _parameter_constraints = {**BaseSampler._parameter_constraints,
                              "n_startup_trials": Interval(int, 1),
                              "gp_trials": Interval(int, 1)}

    def __init__(self, *, n_startup_trials=10, gp_trials=200, seed=None):
        validate(self, {"n_startup_trials": n_startup_trials, "gp_trials": gp_trials})
        super().__init__(seed=seed)
        self.n_startup_trials = n_startup_trials
        self.gp_trials = gp_trials
        self._gp = GPSampler(n_startup_trials=n_startup_trials, seed=seed)
        self._tpe = TPESampler(n_startup_trials=n_startup_trials, seed=seed)
        self.choice = None

    def reseed_rng(self, seed):
        super().reseed_rng(seed)
        self._gp.reseed_rng(seed)
        self._tpe.reseed_rng(seed)

    def _decide(self, study):
        """The study's stored choice, made now if the startup is over."""
        memory = study.trial_log.cache("auto-choice", _Choice)
        if memory.choice is None:
            attrs = study.system_attrs
            if attrs.get(CHOICE_ATTR) in ("gp", "tpe"):
                memory.choice = attrs[CHOICE_ATTR]
                # a study chosen before the handover was stored keeps the default
                memory.gp_trials = int(attrs.get(HANDOVER_ATTR, self.gp_trials))
            else:
                n_objectives = len(study.directions)
                done = study.get_trials((TrialState.COMPLETE, TrialState.PRUNED))
                if n_objectives > 1 or len(done) >= self.n_startup_trials:
                    memory.choice, reason = choose_sampler(done, n_objectives)
                    memory.gp_trials = self.gp_trials
                    study.set_system_attr(CHOICE_ATTR, memory.choice)
                    study.set_system_attr(REASON_ATTR, reason)
                    study.set_system_attr(HANDOVER_ATTR, self.gp_trials)
        self.choice = memory.choice
        return memory

    def _active(self, study, trial):
        """The sampler of ``trial``: TPE, or the GP until its handover."""
        memory = self._decide(study)
        if memory.choice == "tpe" or (memory.choice == "gp"
                                      and trial.number >= memory.gp_trials):
            return self._tpe
        return self._gp

    def infer_relative_search_space(self, study, trial):
        return self._active(study, trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._active(study, trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, name, distribution):
        return self._active(study, trial).sample_independent(study, trial, name, distribution)

    def after_trial(self, study, trial, state, values):
        self._active(study, trial).after_trial(study, trial, state, values)

    def __repr__(self):
        return (f"AutoSampler(n_startup_trials={self.n_startup_trials}, "
                f"gp_trials={self.gp_trials}, seed={self.seed!r})")


@dataclass
class _Choice:
    """The choice made for one study (a cache of its trial log)."""

    choice: str = None
    gp_trials: int = None
