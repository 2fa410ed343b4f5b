"""How far a long command has got, on standard error, so that standard output stays parsable.

On a terminal: one line, redrawn in place at most ten times a second, with what is done of the
total, the rate and the time left. Elsewhere (cron, a pipe, a log file): a plain line at most every
few seconds, and one at the end, so a log shows the command was alive without a line per record.

Services take a ``Progress`` and call ``start``/``advance``/``finish``; the default, ``silent()``,
reports nothing, so the background worker and tests that do not look stay quiet. A small module
rather than tqdm or rich: what the commands need is these few lines, and it keeps the servers'
dependencies as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

REDRAW_SECONDS = 0.1
PLAIN_LINE_SECONDS = 5.0


def duration(seconds: float) -> str:
    """``7 s``, ``2 min 05 s``, ``1 h 04 min``: short, and stable in width as it counts down."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Reports one step at a time (``start`` a step, ``advance`` it, ``finish`` it); a step's total
    may be unknown (None), then only what is done and the rate are shown."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        terminal: bool | None = None,
        every: float = PLAIN_LINE_SECONDS,
        unit: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._terminal = bool(stream is not None and (terminal if terminal is not None else _isatty(stream)))
        self._every = every
        self._clock = clock
        self._unit = unit
        self._label = ""
        self._total: int | None = None
        self._done = 0
        self._started = 0.0
        self._shown_at: float | None = None
        self._open = False

    @classmethod
    def for_command(cls, command: Any, **options: Any) -> Progress:
        """Progress on a management command's standard error (the stream under Django's wrapper,
        so that a terminal is recognised and no colour or line ending is added)."""
        stream = getattr(command.stderr, "_out", command.stderr)
        return cls(stream, **options)

    @property
    def terminal(self) -> bool:
        return self._terminal

    @property
    def shown(self) -> bool:
        """False for ``silent()``: a caller need not count a total that nobody will see."""
        return self._stream is not None

    def start(self, label: str, total: int | None = None, *, unit: str | None = None) -> None:
        if self._open:
            self.finish()
        self._label, self._total, self._done = label, total, 0
        if unit is not None:
            self._unit = unit
        self._started = self._clock()
        self._shown_at = None
        self._open = True
        if self._terminal:
            self._show(self._started)

    def advance(self, amount: int = 1) -> None:
        self.update(self._done + amount)

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of the step so far (and its total, when it was learnt only now)."""
        self._done = done
        if total is not None:
            self._total = total
        if self._stream is None or not self._open:
            return
        now = self._clock()
        wait = REDRAW_SECONDS if self._terminal else self._every
        last = self._started if self._shown_at is None and not self._terminal else self._shown_at
        if last is None or now - last >= wait:
            self._show(now)

    def finish(self, summary: str = "") -> None:
        """Ends the step with a last line: what was done, in how long (and ``summary``)."""
        if not self._open:
            return
        self._open = False
        if self._stream is None:
            return
        now = self._clock()
        line = f"{self._label}: {self._count()} done in {duration(now - self._started)}"
        if summary:
            line += f"; {summary}"
        self._write(line, final=True)

    def note(self, message: str) -> None:
        """A line of its own (a warning, a phase), which a terminal's moving line does not overwrite."""
        if self._stream is None:
            return
        self._write(message, final=True)
        if self._open and self._terminal:
            self._show(self._clock())

    # --- drawing ---

    def _count(self) -> str:
        unit = f" {self._unit}" if self._unit else ""
        if self._total is None:
            return f"{self._done:,}{unit}"
        return f"{self._done:,}/{self._total:,}{unit}"

    def _show(self, now: float) -> None:
        self._shown_at = now
        elapsed = now - self._started
        parts = [f"{self._label}: {self._count()}"]
        if self._total:
            parts[0] += f" ({min(100, self._done * 100 // self._total)} %)"
        if elapsed > 0 and self._done:
            rate = self._done / elapsed
            parts.append(f"{rate:,.0f}{' ' + self._unit if self._unit else ''}/s")
            if self._total is not None and self._total > self._done:
                parts.append(f"about {duration((self._total - self._done) / rate)} left")
        self._write(", ".join(parts), final=False)

    def _write(self, line: str, *, final: bool) -> None:
        if self._stream is None:
            return
        if self._terminal:
            # Back to the start of the line and clear it: the moving line is redrawn in place.
            self._stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


def silent() -> Progress:
    """A progress that reports nothing: the default of every service that takes one."""
    return Progress(None)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream is no terminal
        return False
