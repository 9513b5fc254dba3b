"""The unit box of a search space: where internal values meet ``[0, 1]^d``.

Model-based samplers search ``[0, 1]^d`` and importances fit their trees
there; every one of them goes through this module, so the box has one
definition. A numerical distribution's own ``_to_unit`` / ``_from_unit`` /
``_unit_step`` (:mod:`sksearch.distributions`) are the scalar definition of
its column (clip to the box, scale, ``log``, snap onto the ``step`` grid,
clip to the bounds), and :class:`UnitBox` applies them to every column of a
space at once. :func:`unit_of` and :func:`value_at` are that definition for
one distribution, for the callers that hold only one.

Bit-identity rules, which seeded runs rely on to propose the same points
whichever path computed them:

* a column of :class:`UnitBox` goes through the same operations, in the same
  order, as its distribution's scalar definition, so it gives the same floats
  (``tests/test_sampler_substrate.py`` checks it to the bit);
* ``+ - * /``, ``round`` and the clips are exact element by element, so the
  value of a linear column does not depend on the other rows computed with
  it; ``exp`` and ``log`` are numpy's vector loops, which do not promise
  that, so a caller that needs a row snapped within a batch to equal the same
  row snapped alone checks :attr:`UnitBox.snap_is_rowwise` (no snapped column
  is log-scaled).

Categorical columns hold the index of the choice, in the box as outside it:
the samplers draw choices as indices and model them as such.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .distributions import Categorical

__all__ = ["UnitBox", "unit_of", "value_at"]


def unit_of(distribution, internal):
    """Internal values of one numerical distribution, in ``[0, 1]``.

    Parameters
    ----------
    distribution : NumericalDistribution
    internal : float or array-like of float

    Returns
    -------
    unit : ndarray of float, of the shape of ``internal``
    """
    return distribution._to_unit(internal)


def value_at(distribution, unit):
    """Legal internal values of one numerical distribution at points of
    ``[0, 1]`` (clipped to it, scaled, snapped onto the step grid).

    Parameters
    ----------
    distribution : NumericalDistribution
    unit : float or array-like of float

    Returns
    -------
    internal : ndarray of float, of the shape of ``unit``
    """
    return distribution._from_unit(unit)


class UnitBox:
    """The unit box of a tuple of distributions, one column each.

    Parameters
    ----------
    distributions : sequence of BaseDistribution
        :class:`~sksearch.distributions.Categorical` or numerical ones
        (``Float``, ``Int``, and the quantiles of a scipy distribution).

    Attributes
    ----------
    distributions : tuple of BaseDistribution
    n_dims : int
    categorical : ndarray of bool, shape (n_dims,)
        Which columns are categorical.
    n_choices : list of int or None
        The number of choices of each categorical column, ``None`` for the
        numerical ones.
    log : ndarray of bool, shape (n_dims,)
        Which columns are log-scaled.
    unit_steps : ndarray of float, shape (n_dims,)
        The width of one step of a stepped column's grid in the box (for a
        log-scaled integer, its first step); 0 for continuous and categorical
        columns.
    stepped : bool
        Whether some numerical column has a step grid.
    snap_is_rowwise : bool
        Whether :meth:`snap` gives each row of a batch the bits it gives the
        row alone: no stepped column is log-scaled (see the module's notes).
    """

    def __init__(self, distributions):
        dists = tuple(distributions)
        self.distributions = dists
        self.n_dims = len(dists)
        self.categorical = np.array([isinstance(d, Categorical) for d in dists], dtype=bool)
        self.n_choices = [len(d.choices) if isinstance(d, Categorical) else None
                          for d in dists]
        numerical = [d for d in dists if not isinstance(d, Categorical)]
        self._num = np.flatnonzero(~self.categorical)
        self._cat = np.flatnonzero(self.categorical)
        self._last_choice = np.array([k - 1 for k in self.n_choices if k is not None],
                                     dtype=float)
        self.log = np.zeros(self.n_dims, dtype=bool)
        self.log[self._num] = [bool(d.log) for d in numerical]
        self.unit_steps = np.zeros(self.n_dims)
        self.unit_steps[self._num] = [d._unit_step() for d in numerical]
        self._set_scales(numerical)
        self._set_grid(numerical)
        self.snap_is_rowwise = not bool(self._grid_log.any())
        # asked at every call (a box per parameter in TPE's independent
        # sampling), so the branches are decided here, once
        self._any_num, self._any_cat = bool(len(self._num)), bool(len(self._cat))
        self._any_log, self._any_flat = bool(self._log.any()), bool(self._flat.any())

    def _set_scales(self, numerical):
        """The numerical columns' bounds in the box (log-scaled ones in
        log units), log scales, and bounds of their internal values."""
        bounds = np.array([d._unit_bounds() for d in numerical], dtype=float).reshape(-1, 2)
        self._lo, self._width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
        self._flat = self._width == 0  # one value: the middle of the box
        self._log = np.array([bool(d.log) for d in numerical], dtype=bool)
        self._low = np.array([float(d.low) for d in numerical])
        self._top = np.array([float(d._grid_high) for d in numerical])

    def _set_grid(self, numerical):
        """The stepped numerical columns: their positions among the numerical
        ones and their steps, and, for :meth:`snap`, their columns and scales."""
        steps = [j for j, d in enumerate(numerical) if d.step is not None]
        self._steps = np.array(steps, dtype=int)
        self._step = np.array([float(numerical[j].step) for j in steps])
        self.stepped = bool(steps)
        self._grid = self._num[self._steps]
        self._grid_lo, self._grid_width = self._lo[self._steps], self._width[self._steps]
        self._grid_low, self._grid_top = self._low[self._steps], self._top[self._steps]
        self._grid_log = self._log[self._steps]

    def to_unit(self, internal):
        """Internal values to points of the box.

        Parameters
        ----------
        internal : array-like of shape (n, n_dims)
            NaN stays NaN (an absent parameter).

        Returns
        -------
        points : ndarray of shape (n, n_dims)
            Numerical columns in ``[0, 1]``; categorical ones as given.
        """
        out = np.array(internal, dtype=float)
        if not self._any_num:
            return out
        x = out[:, self._num]
        if self._any_log:
            x[:, self._log] = np.log(x[:, self._log])
        if self._any_flat:  # 0 / 0 there, replaced below
            with np.errstate(invalid="ignore", divide="ignore"):
                u = _clip((x - self._lo) / self._width, 0.0, 1.0)
            u[:, self._flat] = 0.5
        else:
            u = _clip((x - self._lo) / self._width, 0.0, 1.0)
        out[:, self._num] = u
        return out

    def from_unit(self, points):
        """Points of the box to legal internal values.

        Parameters
        ----------
        points : array-like of shape (n, n_dims)
            Numerical columns are clipped to ``[0, 1]``.

        Returns
        -------
        internal : ndarray of shape (n, n_dims)
            Numerical columns scaled, snapped onto their step grid and
            clipped to their bounds; categorical ones rounded to the nearest
            choice index.
        """
        out = np.array(points, dtype=float)
        if self._any_cat:
            self._round_choices(out)
        if not self._any_num:
            return out
        u = _clip(out[:, self._num], 0.0, 1.0)
        x = self._lo + u * self._width
        if self._any_log:
            x[:, self._log] = np.exp(x[:, self._log])
        if self.stepped:
            low, step = self._low[self._steps], self._step
            x[:, self._steps] = low + np.round((x[:, self._steps] - low) / step) * step
        out[:, self._num] = _clip(x, self._low, self._top)
        return out

    def snap(self, points):
        """Points with their stepped and categorical coordinates moved onto
        the legal value their cell stands for, in the box: ``to_unit(from_unit(
        points))`` on those columns, continuous ones left as given.

        Parameters
        ----------
        points : array-like of shape (n, n_dims)

        Returns
        -------
        snapped : ndarray of shape (n, n_dims)
        """
        out = np.array(points, dtype=float)
        if self._any_cat:
            self._round_choices(out)
        if not self.stepped:
            return out
        lo, width, low, top = self._grid_lo, self._grid_width, self._grid_low, self._grid_top
        x = lo + _clip(out[:, self._grid], 0.0, 1.0) * width
        logs = self._grid_log
        if not self.snap_is_rowwise:
            x[:, logs] = np.exp(x[:, logs])
        x = _clip(low + np.round((x - low) / self._step) * self._step, low, top)
        if not self.snap_is_rowwise:
            x[:, logs] = np.log(x[:, logs])
        # a stepped column is never flat: its box is widened by half a step
        out[:, self._grid] = _clip((x - lo) / width, 0.0, 1.0)
        return out

    def _round_choices(self, out):
        """The categorical columns of ``out`` to the nearest choice's index,
        in place (the samplers draw indices, which stay as they are)."""
        if self._any_num:
            out[:, self._cat] = _clip(np.rint(out[:, self._cat]), 0.0, self._last_choice)
        else:  # without indexing: a box per categorical in TPE's independent sampling
            np.minimum(np.maximum(np.rint(out, out=out), 0.0, out=out), self._last_choice,
                       out=out)

    def __repr__(self):
        return f"UnitBox({list(self.distributions)!r})"


def _clip(x, low, high):
    """``np.clip`` for ``low <= high``, the same values (NaN kept) without its
    Python wrapper's cost, which is most of a small array's clip."""
    return np.minimum(np.maximum(x, low), high)
