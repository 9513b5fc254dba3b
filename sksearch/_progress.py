"""The progress bar of :meth:`sksearch.Study.optimize`.

``rich`` when it is installed, else ``tqdm``, else one plain line per trial on
stderr; neither is a dependency. Every backend shows trials done out of
``n_trials`` (unknown under a timeout alone), the elapsed time and the best
value so far.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib.util
import math
import sys
import threading
import time

from .trial import TrialState

__all__ = ["BACKENDS", "open_progress"]

BACKENDS = ("rich", "tqdm", "plain")


def _installed(name):
    return importlib.util.find_spec(name) is not None


def _choose_backend():
    for name in BACKENDS[:-1]:
        if _installed(name):
            return name
    return "plain"


def open_progress(total, direction, backend=None):
    """A progress display for ``total`` trials (``None``: unknown).

    Parameters
    ----------
    total : int or None
    direction : {"minimize", "maximize"} or None
        To know which value is best; ``None`` (several objectives) shows no
        best value.
    backend : {"rich", "tqdm", "plain"} or None, default=None
        ``None`` takes the first installed of rich and tqdm, else plain.
    """
    backend = backend or _choose_backend()
    cls = {"rich": _RichProgress, "tqdm": _TqdmProgress, "plain": _PlainProgress}[backend]
    return cls(total, direction)


class _Progress:
    """Counts finished trials and the best value; subclasses draw them.
    ``update`` may be called from several threads (``optimize(n_jobs>1)``)."""

    def __init__(self, total, direction):
        self.total = total
        self.direction = direction
        self.n_done = 0
        self.best = None
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def update(self, frozen):
        with self._lock:
            self.n_done += 1
            value = frozen.values[0] if frozen.values and self.direction else None
            if (frozen.state is TrialState.COMPLETE and value is not None
                    and math.isfinite(value) and (self.best is None or (
                        value > self.best if self.direction == "maximize"
                        else value < self.best))):
                self.best = value
            self._draw(frozen)

    def _best_text(self):
        return "-" if self.best is None else f"{self.best:.6g}"

    def _draw(self, frozen):
        raise NotImplementedError

    def close(self):
        """Finish the display (always called, also after an error)."""


class _PlainProgress(_Progress):
    def _draw(self, frozen):
        total = "?" if self.total is None else self.total
        value = ("-" if frozen.values is None
                 else ",".join(f"{v:.6g}" for v in frozen.values))
        elapsed = time.monotonic() - self.started
        print(f"[trial {self.n_done}/{total}] {frozen.state.name.lower()} "
              f"value={value} best={self._best_text()} elapsed={elapsed:.1f}s",
              file=sys.stderr, flush=True)


class _TqdmProgress(_Progress):
    def __init__(self, total, direction):
        super().__init__(total, direction)
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, unit="trial")

    def _draw(self, frozen):
        self._bar.set_postfix_str(f"best={self._best_text()}", refresh=False)
        self._bar.update(1)

    def close(self):
        self._bar.close()


class _RichProgress(_Progress):
    def __init__(self, total, direction):
        super().__init__(total, direction)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("trials"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("best={task.fields[best]}"), console=Console(stderr=True))
        self._task = self._progress.add_task("trials", total=total, best="-")
        self._progress.start()

    def _draw(self, frozen):
        self._progress.update(self._task, advance=1, best=self._best_text())

    def close(self):
        self._progress.stop()
