"""``python -m sksearch <command> ...``: sksearch's command line.

Each command is one entry of :data:`COMMANDS`, ``name: (module, function,
one-line help)``; the function takes the command's arguments (a list of
str) and returns the exit status. Adding a command is adding its entry; its
module is imported only when it runs.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib
import sys

#: name -> (module, function, help)
COMMANDS = {
    "studies": ("sksearch.cli", "studies_command",
                "list the studies of a storage, or show one: studies URL [show NAME]"),
    "dashboard": ("sksearch.dashboard", "main",
                  "serve a live web dashboard: dashboard URL [--host H] [--port P]"),
}


def main(argv=None):
    """Run the command named by ``argv[0]``; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {entry[2]}" for name, entry in COMMANDS.items()]
        message = "usage: python -m sksearch <command> [arguments]\n\ncommands:\n" + "\n".join(
            lines)
        if argv and argv[0] not in ("-h", "--help"):
            print(f"python -m sksearch: unknown command {argv[0]!r}\n\n{message}",
                  file=sys.stderr)
            return 2
        print(message)
        return 0 if argv else 2
    module, function, _ = COMMANDS[argv[0]]
    return getattr(importlib.import_module(module), function)(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
