"""What the command line does with the terminal and the process: progress bars and the
slow-notice on stderr (only on a terminal), the one line on Ctrl-C or SIGTERM, and standard
output that cannot be written (a full disk) turned into one ``error:`` line."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

__all__ = [
    "GRACE",
    "Progress",
    "slow",
    "OutputError",
    "guarded_stdout",
    "silence_stdout",
    "catch_signals",
    "stopped",
]


def _terminal() -> bool:
    return sys.stderr.isatty()


class Progress:
    """Progress bars on stderr (tqdm): shown only when a stage lasts more than two seconds and
    stderr is a terminal (never in a pipe or a log, so an error stays the one line), cleared when
    done."""

    def __init__(self, delay: float = 2.0, enabled: bool | None = None) -> None:
        self.bars: dict[str, Any] = {}
        self.delay = delay
        self.enabled = _terminal() if enabled is None else enabled

    def __call__(self, done: int, total: int, stage: str) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(stage)
        if bar is None:
            from tqdm import tqdm

            bar = self.bars[stage] = tqdm(
                total=total,
                unit="draw",
                unit_scale=True,
                file=sys.stderr,
                desc=stage,
                leave=False,
                delay=self.delay,
            )
        bar.update(done)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@contextmanager
def slow(what: str, after: float = 2.0) -> Iterator[None]:
    """Say on a terminal's stderr what is happening when it takes more than ``after`` seconds
    (a line erased when done; nothing in a pipe or a log)."""
    if not _terminal():
        yield
        return
    shown = threading.Event()

    def say() -> None:
        shown.set()
        print(f"{what} ...", end="", file=sys.stderr, flush=True)

    timer = threading.Timer(after, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- standard output
class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed terminal): ``reason`` says why."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.strerror or str(exc))
        self.reason = exc.strerror or str(exc)


class _Guarded:
    """A text stream whose write errors (other than a broken pipe) become :class:`OutputError`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """While a command runs, a failed write to stdout is an :class:`OutputError`."""
    stream = sys.stdout
    sys.stdout = _Guarded(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def silence_stdout() -> None:
    """After stdout failed: point the process's stdout at /dev/null, so that the interpreter's last
    flush of what is still buffered fails no more (no "Exception ignored" at exit)."""
    if sys.stdout is not sys.__stdout__ or sys.stdout is None:
        return  # stdout is someone's stream (a test capturing it): leave it alone
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


# ----------------------------------------------------------------------------- signals
#: seconds a command may take to wind down after Ctrl-C or SIGTERM before it is ended at once
GRACE = 5.0
#: the exit status and the one line of each signal the command line stops on
_STOPS: dict[int, tuple[int, str]] = {
    signal.SIGINT: (130, "interrupted"),
    signal.SIGTERM: (143, "terminated"),
}
_received: list[int] = []  # the signal that stopped the command
_said = threading.Event()  # the one "error: interrupted" line is out


def stopped() -> int:
    """Print the one line of the signal received (once) and return its exit status."""
    status, word = _STOPS[_received[0] if _received else signal.SIGINT]
    if not _said.is_set():
        _said.set()
        print(f"error: {word}", file=sys.stderr, flush=True)
    return status


def _give_up() -> None:
    """The signal came GRACE seconds ago and the process is still winding down (a long write, a
    worker stuck in C code): remove the temporary files being written and end now. The user's
    files are whole either way (a file is renamed into place or not at all)."""
    io = sys.modules.get("chipdemand.io")  # not imported: nothing was written
    if io is not None:
        io.remove_temporaries()
    os._exit(stopped())


@contextmanager
def catch_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the command once: KeyboardInterrupt is raised (the command
    unwinds, workers finish their block, temporary files are removed, one line is printed), or,
    while a file is being written, the write is abandoned where it can be (before its rename).
    Later signals are ignored; if winding down takes more than GRACE seconds the process ends
    anyway, with the same one line and status (130 for Ctrl-C, 143 for SIGTERM)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        for s in _STOPS:
            signal.signal(s, signal.SIG_IGN)
        _received.append(signum)
        timer = threading.Timer(GRACE, _give_up)
        timer.daemon = True
        timer.start()
        io = sys.modules.get("chipdemand.io")  # imported only by the commands that write files
        if io is not None and io.writing():  # raised inside the writer's callbacks, it is ignored
            io.interrupt_write()  # with a traceback: the write stops itself before its rename
            return
        raise KeyboardInterrupt

    before = {s: signal.signal(s, stop) for s in _STOPS}
    try:
        yield
    finally:
        for s, handler in before.items():
            if not _received:  # after a signal the process is ending: stay deaf to more
                signal.signal(s, handler)
