"""What the tests that pin seeded sampler runs share: the mixed test problem
and the digest of a study's proposals."""

import hashlib

import numpy as np

_KIND_OFFSET = {"a": 0.0, "b": 0.7, "c": 1.5}


def mixed10(trial):
    """Six floats, a log float, an int, a stepped int and a three-way categorical."""
    x = np.array([trial.suggest_float(f"x{i}", -5, 5) for i in range(6)])
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 0, 20)
    s = trial.suggest_int("s", 0, 100, step=5)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return float(np.sum((x - 1.0) ** 2) + (np.log10(lr) + 2) ** 2 + (n - 7) ** 2 / 10
                 + (s - 35) ** 2 / 400 + _KIND_OFFSET[kind])


def rounded_params(study):
    """Every trial's params, floats to 12 significant digits."""
    return [{k: (f"{v:.12g}" if isinstance(v, float) else v) for k, v in sorted(t.params.items())}
            for t in study.trials]


def digest(study):
    """A short hash of :func:`rounded_params`."""
    return hashlib.sha256(repr(rounded_params(study)).encode()).hexdigest()[:16]
