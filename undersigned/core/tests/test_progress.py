"""Progress of long commands: one line redrawn in place on a terminal, plain lines now and then
elsewhere, always on standard error."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command

from undersigned.core.progress import Progress, duration, silent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_gets_one_line_redrawn_with_the_rate_and_the_time_left():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=True, clock=clock)

    progress.start("re-sealing", 1000, unit="records")
    for _ in range(4):
        clock.now += 1
        progress.advance(100)
    progress.finish()

    text = stream.getvalue()
    assert "\n" not in text.rstrip("\n"), "a terminal's line is redrawn, not repeated"
    frames = text.split("\r\x1b[K")[1:]
    assert frames[0] == "re-sealing: 0/1,000 records (0 %)"
    assert frames[2] == "re-sealing: 200/1,000 records (20 %), 100 records/s, about 8 s left"
    assert frames[4] == "re-sealing: 400/1,000 records (40 %), 100 records/s, about 6 s left"
    assert frames[-1] == "re-sealing: 400/1,000 records done in 4 s\n"


def test_a_terminal_is_redrawn_at_most_ten_times_a_second():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=True, clock=clock)
    progress.start("copying", 100_000)

    for _ in range(1000):
        clock.now += 0.001
        progress.advance(100)

    assert stream.getvalue().count("\r") <= 1 + 10 + 1


def test_elsewhere_a_plain_line_every_few_seconds_and_one_at_the_end():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=False, every=5, clock=clock)

    progress.start("verifying the ledger", 120, unit="statements")
    for _ in range(12):
        clock.now += 1
        progress.advance(10)
    progress.finish("2 problems")

    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()
    assert lines == [
        "verifying the ledger: 50/120 statements (41 %), 10 statements/s, about 7 s left",
        "verifying the ledger: 100/120 statements (83 %), 10 statements/s, about 2 s left",
        "verifying the ledger: 120/120 statements done in 12 s; 2 problems",
    ]


def test_an_unknown_total_shows_what_is_done_and_the_rate():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=False, every=1, clock=clock)
    progress.start("dumping")
    clock.now += 2
    progress.advance(30)

    assert stream.getvalue() == "dumping: 30, 15/s\n"


def test_a_note_keeps_its_own_line_above_a_terminals_moving_line():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=True, clock=clock)
    progress.start("restoring", 10)
    progress.note("applying 2 migrations")

    assert stream.getvalue().endswith("\r\x1b[Kapplying 2 migrations\n\r\x1b[Krestoring: 0/10 (0 %)")


def test_a_real_terminal_is_recognised_and_a_pipe_is_not():
    leader, follower = os.openpty()
    reading, writing = os.pipe()
    with open(follower, "w") as terminal, open(writing, "w") as pipe:
        assert Progress(terminal).terminal
        assert not Progress(pipe).terminal
        assert not Progress(io.StringIO()).terminal
    os.close(leader)
    os.close(reading)


def test_silent_progress_writes_nothing_and_fails_nothing():
    progress = silent()
    progress.start("anything", 3)
    progress.advance()
    progress.note("a note")
    progress.finish()


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0 s"), (59.4, "59 s"), (125, "2 min 05 s"), (3600 + 240, "1 h 04 min")]
)
def test_durations_are_short(seconds, shown):
    assert duration(seconds) == shown


@pytest.mark.django_db
def test_a_command_reports_on_standard_error_and_keeps_standard_output_for_its_result():
    out, err = io.StringIO(), io.StringIO()

    call_command("verify_tally", stdout=out, stderr=err)

    assert out.getvalue() == "every count agrees with the confirmed signatures and the approved sign-ons\n"
    assert "counting" in err.getvalue() and "done in" in err.getvalue()
    assert "\r" not in err.getvalue()  # a StringIO is no terminal


def test_a_caller_can_tell_silent_progress_from_shown():
    assert not silent().shown
    assert Progress(io.StringIO()).shown
