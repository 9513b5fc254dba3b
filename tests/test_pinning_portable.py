"""The pinned seeded runs hold on other CPUs: a few of them rerun in a
subprocess on this machine's other numpy vector loops and OpenBLAS kernels
(what another CPU of the same build would run) and still match their pins to
a relative 1e-9.

Before this, a digest of the proposals differed between an AVX-512 and an AVX2
machine: CMA-ES sampled through the eigenvectors of its covariance (LAPACK's
choice of signs and of a basis of near-equal eigenvalues differs between
kernels) and TPE's neighbour bandwidths broke ties in the SIMD sort's order.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from _pinning import assert_close, pinned
from threadpoolctl import threadpool_info

# a run of each sampler path that used to move between CPUs: CMA-ES with and
# without its surrogate (eigenvectors), TPE's multivariate and batched paths
# (tied bandwidths)
CASES = ["cmaes/mixed10-lq", "cmaes/mixed10-plain", "tpe/mixed10-multivariate",
         "tpe/branches-batch4", "exact/log-grid-lq"]

# numpy's dispatch targets from the widest down; disabling those this CPU has
# leaves numpy on the loops an older CPU of the same build runs
_WIDE_TARGETS = ["AVX512_SPR", "AVX512_ICL", "AVX512_SKX", "X86_V4"]
# OpenBLAS kernels that need AVX-512; Haswell's run on every such CPU
_AVX512_BLAS = {"SkylakeX", "Cooperlake", "SapphireRapids"}


def _other_kernels():
    """Environment variables that put numpy and OpenBLAS on other kernels of
    this machine, or ``None`` where it has no other."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    env = {}
    wide = [t for t in _WIDE_TARGETS if t in __cpu_dispatch__ and __cpu_features__.get(t)]
    if not wide and __cpu_features__.get("X86_V3") and "X86_V3" in __cpu_dispatch__:
        wide = ["X86_V3"]
    if wide:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(wide)
    blas = [i.get("architecture") for i in threadpool_info() if i.get("user_api") == "blas"]
    # a kernel chosen by the machine's own OPENBLAS_CORETYPE is left alone
    # (some processors need it); only an AVX-512 one is stepped down
    if "OPENBLAS_CORETYPE" not in os.environ and blas and blas[0] in _AVX512_BLAS:
        env["OPENBLAS_CORETYPE"] = "Haswell"
    return env or None


_SCRIPT = """
import json, sys, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
import test_cmaes, test_cmaes_exact, test_tpe
makers = {**test_cmaes.PIN_MAKERS, **test_tpe.PIN_MAKERS, **test_cmaes_exact.PIN_MAKERS}
json.dump({name: makers[name]() for name in sys.argv[2:]}, sys.stdout)
"""


def test_pinned_runs_hold_on_other_vector_loops_and_blas_kernels():
    env = _other_kernels()
    if env is None:
        pytest.skip("this CPU offers numpy and OpenBLAS no other kernels to compare with")
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, os.path.dirname(__file__), *CASES],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, **env, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    assert completed.returncode == 0, completed.stderr[-2000:]
    runs = json.loads(completed.stdout)
    for name in CASES:
        assert_close(runs[name], pinned(name), where=name)


def test_assert_close_tells_tolerance_from_difference():
    assert_close({"a": [1.0, 2, "x", None]}, {"a": [1.0 + 1e-12, 2, "x", None]})
    assert_close([0.0], [1e-13])
    for actual, expected in [([1.0], [1.0 + 1e-6]), ([1], [2]), ({"a": 1}, {"b": 1}),
                             ([1.0, 2.0], [1.0]), (["x"], ["y"]), ([np.nan], [1.0])]:
        with pytest.raises(AssertionError):
            assert_close(actual, expected)
