"""``python -m sksearch <command> ...``: the ``sksearch`` command (see
:mod:`sksearch.cli`)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import sys

from .cli import COMMANDS, main

__all__ = ["COMMANDS", "main"]

if __name__ == "__main__":
    sys.exit(main())
