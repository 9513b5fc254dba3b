"""The independent sampler a joint sampler hands the parameters it does not model jointly."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from .tpe import TPESampler

__all__ = ["IndependentFallback"]


class IndependentFallback:
    """For a joint sampler (CMA-ES, the GP): the parameters it does not model
    jointly -- outside its joint space, conditional, or before the space is
    known -- go to ``independent_sampler``, by default a ``TPESampler`` of
    the same seed, made once and reseeded with the sampler. Mixed in before
    :class:`BaseSampler`; the class sets ``independent_sampler`` and
    ``_fallback = None`` in ``__init__``."""

    def reseed_rng(self, seed):
        super().reseed_rng(seed)
        if self._fallback is not None:
            self._fallback.reseed_rng(seed)

    def _independent(self):
        if self._fallback is None:
            if self.independent_sampler is not None:
                self._fallback = self.independent_sampler
            else:
                self._fallback = TPESampler(seed=self.seed)
        return self._fallback

