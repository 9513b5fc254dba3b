"""An array that counts, in each process, how many times it was unpickled:
how often the training data reached a worker."""

import numpy as np

_N = [0]  # unpicklings in this process


def _rebuild(a):
    _N[0] += 1
    return Counted(a)

def n_rebuilt():
    return _N[0]

class Counted(np.ndarray):
    def __new__(cls, a):
        return np.asarray(a).view(cls)
    def __reduce__(self):
        return (_rebuild, (np.asarray(self),))
