"""The one warning a migrant face gives where it must behave otherwise."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["MigrationWarning"]


class MigrationWarning(UserWarning):
    """A migrant face (:mod:`sksearch.compat`) behaves otherwise than the
    library it stands for; the message says how and names the guide page."""
