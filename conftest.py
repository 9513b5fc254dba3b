"""Test-wide settings: one BLAS/OpenMP thread per process.

As in scikit-learn's own conftest: tests that fit in several joblib workers
(or threads) would otherwise each start a thread per core, and the
oversubscription made one parallel test 24x slower on a 2-core machine.
"""

import os

# Before numpy/scipy are imported by anything, so that child processes
# (loky workers) inherit the limit too.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield
