"""Synthetic minimisation problems with known optima, for the sampler benchmarks.

Each problem is written once as ``define(trial) -> params`` using only the
``suggest_float`` / ``suggest_int`` / ``suggest_categorical`` calls that
sksearch's and Optuna's trials share, so every library searches exactly the same
space, and ``fn(params) -> float`` to minimise. Problems without conditional
parameters also expose ``space`` (name -> sksearch distribution).
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np

from sksearch.distributions import Categorical, Float, Int


@dataclass
class Problem:
    name: str
    fn: object
    optimum: float
    kind: str  # "continuous" | "integer" | "mixed" | "conditional"
    space: dict = field(default=None)
    define: object = None

    def __post_init__(self):
        if self.define is None:
            self.define = _define_from_space(self.space)

    def objective(self, trial):
        return float(self.fn(self.define(trial)))


def _define_from_space(space):
    def define(trial):
        params = {}
        for name, dist in space.items():
            if isinstance(dist, Categorical):
                params[name] = trial.suggest_categorical(name, list(dist.choices))
            elif isinstance(dist, Int):
                params[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step,
                                                 log=dist.log)
            else:
                params[name] = trial.suggest_float(name, dist.low, dist.high, step=dist.step,
                                                   log=dist.log)
        return params

    return define


def _vector(params, prefix, d):
    return np.array([params[f"{prefix}{i}"] for i in range(d)], dtype=float)


def branin(p):
    x, y = p["x"], p["y"]
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * np.cos(x) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p):
    x = _vector(p, "x", 6)
    return -float(_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def rosenbrock5(p):
    x = _vector(p, "x", 5)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(p):
    x = _vector(p, "x", 5)
    return float(-20 * np.exp(-0.2 * np.sqrt(np.mean(x**2)))
                 - np.exp(np.mean(np.cos(2 * np.pi * x))) + 20 + np.e)


def styblinski_tang10(p):
    x = _vector(p, "x", 10)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def log_scaled(p):
    # A learning rate and a regularisation strength whose good values span
    # decades: without log scaling, almost every sample lands in the last decade.
    return (np.log10(p["lr"]) + 4.0) ** 2 + (np.log10(p["reg"]) + 2.5) ** 2


_OFFSETS = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 0.5}


def mixed(p):
    return (p["n"] - 7) ** 2 / 10.0 + _OFFSETS[p["kind"]] + (p["x"] - 0.3) ** 2 + (
        p["m"] - 16) ** 2 / 64.0


def conditional_define(trial):
    branch = trial.suggest_categorical("branch", ["quad", "bowl", "flat"])
    if branch == "quad":
        return {"branch": branch, "x": trial.suggest_float("x", -5, 5)}
    if branch == "bowl":
        return {"branch": branch, "u": trial.suggest_float("u", 0, 1),
                "v": trial.suggest_float("v", 0, 1, log=False),
                "k": trial.suggest_int("k", 1, 10)}
    return {"branch": branch, "w": trial.suggest_float("w", -2, 2)}


def conditional(p):
    if p["branch"] == "quad":
        return (p["x"] - 1) ** 2 + 0.5
    if p["branch"] == "bowl":
        return 4 * (p["u"] - 0.3) ** 2 + 4 * (p["v"] - 0.7) ** 2 + (p["k"] - 3) ** 2 / 20
    return 1 + abs(p["w"])


def _box(prefix, d, low, high):
    return {f"{prefix}{i}": Float(low, high) for i in range(d)}


PROBLEMS = {
    problem.name: problem for problem in [
        Problem("branin", branin, 0.397887, "continuous",
                {"x": Float(-5, 10), "y": Float(0, 15)}),
        Problem("hartmann6", hartmann6, -3.32237, "continuous", _box("x", 6, 0, 1)),
        Problem("rosenbrock5", rosenbrock5, 0.0, "continuous", _box("x", 5, -5, 10)),
        Problem("ackley5", ackley5, 0.0, "continuous", _box("x", 5, -32.768, 32.768)),
        Problem("styblinski_tang10", styblinski_tang10, -39.16599 * 10, "continuous",
                _box("x", 10, -5, 5)),
        Problem("log_scaled", log_scaled, 0.0, "continuous",
                {"lr": Float(1e-6, 1.0, log=True), "reg": Float(1e-4, 1e2, log=True)}),
        Problem("mixed", mixed, 0.0, "mixed",
                {"n": Int(0, 20), "kind": Categorical(["a", "b", "c", "d"]),
                 "x": Float(-2, 2), "m": Int(1, 256, log=True)}),
        Problem("conditional", conditional, 0.0, "conditional", define=conditional_define),
    ]
}


# -- noisy problems -------------------------------------------------------------------
# Kept out of PROBLEMS so that the existing suites are unchanged. The observed
# value is the true one plus Gaussian noise that is a function of the point
# (hashed), so every library meets the same noise at the same point and seeded
# runs repeat; a benchmark scores the true value of the point it recommends.


@dataclass
class NoisyProblem(Problem):
    true_fn: object = None


def _point_noise(params, scale):
    values = np.array([float(params[k]) for k in sorted(params)])
    seed = int.from_bytes(hashlib.blake2b(values.tobytes(), digest_size=8).digest(), "little")
    return scale * np.random.default_rng(seed).standard_normal()


def sphere5_shifted(p):
    return float(np.sum((_vector(p, "x", 5) - 1.0) ** 2))


def noisy_sphere5(p):
    # A standard-normal error, like the fold-to-fold spread of a CV score:
    # small against the box (values up to ~180) but larger than the last
    # improvements near the optimum.
    return sphere5_shifted(p) + _point_noise(p, 1.0)


NOISY = {
    problem.name: problem for problem in [
        NoisyProblem("noisy_sphere5", noisy_sphere5, 0.0, "noisy", _box("x", 5, -5, 5),
                     true_fn=sphere5_shifted),
    ]
}


# -- spaces sampler="auto" hands to TPE ---------------------------------------------------
# Kept out of PROBLEMS so that the existing suites are unchanged: a mostly
# categorical space and a nested conditional one, where auto's rule picks TPE
# (its first 10 trials are still the GP's Sobol points).

_CATEGORY_WEIGHTS = np.random.default_rng(42).normal(size=(4, 5))  # fixed, not a seed knob
_LETTERS = "abcde"


def categorical_heavy(p):
    idx = [_LETTERS.index(p[f"c{i}"]) for i in range(4)]
    interaction = 0.5 * (idx[0] == idx[1])
    return float(sum(_CATEGORY_WEIGHTS[i, j] for i, j in enumerate(idx)) + interaction
                 + (p["x"] - 0.7) ** 2)


def _categorical_heavy_optimum():
    import itertools

    return min(categorical_heavy({**{f"c{i}": c for i, c in enumerate(combo)}, "x": 0.7})
               for combo in itertools.product(_LETTERS, repeat=4))


def nested_define(trial):
    model = trial.suggest_categorical("model", ["linear", "tree"])
    if model == "linear":
        penalty = trial.suggest_categorical("penalty", ["l1", "l2"])
        strength = trial.suggest_float(f"{penalty}_strength", 1e-4, 1e2, log=True)
        return {"model": model, "penalty": penalty, "strength": strength}
    depth = trial.suggest_int("depth", 1, 12)
    params = {"model": model, "depth": depth}
    if depth > 6:  # an if on a number: a parameter only deep trees have
        params["leaf"] = trial.suggest_int("leaf", 1, 50, log=True)
    return params


def nested(p):
    if p["model"] == "linear":
        best = 0.3 if p["penalty"] == "l1" else 0.0
        return best + (np.log10(p["strength"]) - 0.5) ** 2 / 4
    base = 0.2 + (p["depth"] - 9) ** 2 / 40
    return base + (np.log(p["leaf"]) - np.log(8)) ** 2 / 4 if "leaf" in p else base + 0.5


AUTO_TPE = {
    problem.name: problem for problem in [
        Problem("categorical_heavy", categorical_heavy, _categorical_heavy_optimum(),
                "categorical", {**{f"c{i}": Categorical(list(_LETTERS)) for i in range(4)},
                                "x": Float(-2, 2)}),
        Problem("nested", nested, 0.0, "conditional", define=nested_define),
    ]
}
