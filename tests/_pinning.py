"""What the tests that pin seeded runs share: the mixed test problem, the
pins file, and the comparison that holds on every CPU.

Pins are compared to a relative 1e-9, never to the bit: numpy's vector loops
(AVX-512 or AVX2 exp/log) and OpenBLAS's kernels round differently in the last
bit from one CPU to another. The samplers are written so that such differences
stay differences of 1e-12 instead of changing a decision (CMA-ES samples
through the symmetric root of its covariance, TPE sorts ties stably and scores
its kernels without cancellation); test_pinning_portable.py reruns pinned runs
on other kernels of this machine to hold them to it.

``python tests/_pinning.py NAME...`` recomputes the named pins of
data/proposal_pins.json (a pin is an oracle: recompute one only for a change
that means to move proposals, and say so in the commit).
"""

import json
import math
import pathlib
import sys

import numpy as np

_KIND_OFFSET = {"a": 0.0, "b": 0.7, "c": 1.5}
PINS_FILE = pathlib.Path(__file__).parent / "data" / "proposal_pins.json"
RTOL, ATOL = 1e-9, 1e-12


def mixed10(trial):
    """Six floats, a log float, an int, a stepped int and a three-way categorical."""
    x = np.array([trial.suggest_float(f"x{i}", -5, 5) for i in range(6)])
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 0, 20)
    s = trial.suggest_int("s", 0, 100, step=5)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return float(np.sum((x - 1.0) ** 2) + (np.log10(lr) + 2) ** 2 + (n - 7) ** 2 / 10
                 + (s - 35) ** 2 / 400 + _KIND_OFFSET[kind])


def proposals(study):
    """Every trial's params, in trial order, as plain Python values."""
    return [{k: (v.item() if isinstance(v, np.generic) else v)
             for k, v in sorted(t.params.items())} for t in study.trials]


def assert_close(actual, expected, rtol=RTOL, atol=ATOL, where="pin"):
    """``actual == expected`` with floats equal to ``rtol`` (and ``atol`` near
    zero) and everything else exactly; the message names the first place that
    differs (``pin[12]['x3']``)."""
    if isinstance(expected, float) or isinstance(actual, float):
        ok = (isinstance(actual, (int, float)) and isinstance(expected, (int, float))
              and not isinstance(actual, bool)
              and (math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)
                   or (math.isnan(actual) and math.isnan(expected))))
        assert ok, f"{where}: {actual!r} != {expected!r} (rtol {rtol})"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), (
            f"{where}: keys {sorted(actual) if isinstance(actual, dict) else actual!r} "
            f"!= {sorted(expected)}")
        for key in expected:
            assert_close(actual[key], expected[key], rtol, atol, f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), (
            f"{where}: length {len(actual) if isinstance(actual, (list, tuple)) else actual!r}"
            f" != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol, atol, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def pinned(name):
    """The pin ``name`` of data/proposal_pins.json."""
    return json.loads(PINS_FILE.read_text())[name]


def _recompute(names):
    import warnings

    import test_cmaes
    import test_cmaes_exact
    import test_tpe

    makers = {**test_cmaes.PIN_MAKERS, **test_tpe.PIN_MAKERS, **test_cmaes_exact.PIN_MAKERS}
    pins = json.loads(PINS_FILE.read_text()) if PINS_FILE.exists() else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names or sorted(makers):
            pins[name] = makers[name]()
            print(name, len(pins[name]), file=sys.stderr)
    write_pins(PINS_FILE, pins)


def write_pins(path, pins):
    """``pins`` (name -> list) as JSON with one list item a line, for
    readable diffs."""
    blocks = (f"{json.dumps(name)}: [\n" + ",\n".join(json.dumps(item) for item in items) + "\n]"
              for name, items in sorted(pins.items()))
    path.write_text("{\n" + ",\n".join(blocks) + "\n}\n")


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    _recompute(sys.argv[1:])
