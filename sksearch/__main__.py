"""``python -m sksearch COMMAND ...``: ``dashboard`` serves the web dashboard."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import sys

_USAGE = "usage: python -m sksearch dashboard STORAGE_URL [--host H] [--port P]"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["dashboard"]:
        from .dashboard import main as dashboard

        return dashboard(argv[1:])
    print(_USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
