"""The outbox's pacer (jobs/dispatcher.py `_Pacer`) on a simulated clock whose sleeps end late,
as an event loop's do on a busy machine: the rate stays, and sends never bunch into a burst
beyond Telegram's 30 in a second, even when they reach Telegram up to the jitter margin closer
together than they left. Simulated time: nothing here depends on this machine's speed."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from typing import Any

import pytest

from jobs.dispatcher import DispatchLimits, _Pacer

LIMITS = DispatchLimits()
# What the pacer sends on average: 30 in each window of 1 s + the jitter margin.
RATE = LIMITS.messages_per_second / (1 + LIMITS.jitter_margin)


class LateClock:
    """Each sleep ends the next of `lateness` seconds after it was due."""

    def __init__(self, lateness: Iterable[float]) -> None:
        self.now = 1000.0
        self._late = itertools.cycle(lateness)

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + next(self._late)


async def _sends(lateness: Iterable[float], n: int, *, pause_at: int | None = None) -> list[float]:
    clock = LateClock(lateness)
    pacer = _Pacer(LIMITS.messages_per_second, LIMITS.jitter_margin, clock=clock.time, sleep=clock.sleep)
    times = []
    for i in range(n):
        if i == pause_at:
            pacer.pause(3.0)  # a 429's retry_after
        await pacer.wait()
        times.append(clock.now)
    return times


def _most_in_one_second(times: list[float], *, jitter: float = 0.0) -> int:
    """The most sends in any window of one second (Telegram's, and the Bot API fake's), when
    each may arrive up to `jitter` later than it left: the worst case brings the first of a run
    late and the others on time, so a window of 1 s there holds a run that spans 1 s + jitter
    here."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0 - jitter:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_loop_that_wakes_a_little_late_loses_no_rate() -> None:
    # Up to 16 ms late (less than half an interval): each send still leaves on its own time.
    times = await _sends([0.0, 0.004, 0.012, 0.002, 0.016, 0.007], 900)
    rate = (len(times) - 1) / (times[-1] - times[0])
    # The window rule makes a send wait for the late one 30 before it: a little is lost, far
    # less than pacing from when each send went (1 / (interval + mean lateness): 24.2/s here).
    assert rate >= 0.95 * 30, rate
    assert _most_in_one_second(times) <= 30


async def test_sends_late_by_more_than_the_slack_never_bunch_into_a_burst() -> None:
    # Stalls of up to half a second: the time beyond the slack is lost, never made up at once.
    times = await _sends([0.0, 0.0, 0.2, 0.0, 0.05, 0.5, 0.0, 0.03, 0.0, 0.0, 0.1], 900)
    interval = 1 / RATE
    assert min(b - a for a, b in itertools.pairwise(times)) >= interval / 2 - 1e-9
    # Any 31 sends span at least the window, 1 s + the margin...
    window = 1 + LIMITS.jitter_margin
    assert min(b - a for a, b in zip(times, times[30:], strict=False)) >= window - 1e-9
    # ...so at most 30 reach Telegram in a second even if each is up to the margin late.
    assert _most_in_one_second(times, jitter=LIMITS.jitter_margin - 1e-6) <= 30


async def test_long_stalls_make_up_time_only_within_the_window() -> None:
    # A loop that stalls for seconds now and then: the sends after a stall catch up, half an
    # interval apart, never beyond 30 in a window of 1 s + the margin.
    times = await _sends([0.0] * 20 + [2.5] + [0.0] * 40 + [1.2], 1200)
    gaps = list(itertools.pairwise(times))
    assert any(b - a < 0.75 / RATE for a, b in gaps)  # caught up after a stall
    assert min(b - a for a, b in gaps) >= 0.5 / RATE - 1e-9
    assert _most_in_one_second(times, jitter=LIMITS.jitter_margin - 1e-6) <= 30


async def test_a_pause_holds_the_next_send_back() -> None:
    times = await _sends([0.0], 20, pause_at=10)
    assert times[10] - times[9] >= 3.0 - 1e-9
    assert _most_in_one_second(times) <= 30


@pytest.mark.parametrize(
    ("delays", "least_rate"),
    [
        # Round trips of a few ms, one in ten held up 50-120 ms (a loaded machine, the fake).
        (
            [
                r.uniform(0.05, 0.12) if r.random() < 0.1 else r.uniform(0.002, 0.005)
                for r in [random.Random(7)]
                for _ in range(997)
            ],
            # A held-up answer holds back the sends behind it (in order): 28.0/s here, and
            # 28.8/s measured in bench/city.py, whose round trips are mostly a few ms.
            0.9 * 30,
        ),
        # Slow and uneven ones: the rate pays for the round trips, never the window.
        ([0.002, 0.004, 0.120, 0.003, 0.050, 0.002, 0.300, 0.005], None),
    ],
    ids=["local", "slow"],
)
async def test_a_send_held_up_on_its_way_never_brings_a_31st_into_telegrams_second(
    delays: list[float], least_rate: float | None
) -> None:
    """With `confirmed`, each send waits for the answer to the send 30 before it and leaves a
    second after that answer: however long a send took to arrive (a stalled loop, a slow
    connection), 31 sends never reach Telegram within one second. Each arrives here at the
    last moment of its way, just before its answer (the worst case for the window)."""
    clock = LateClock([0.0])
    pacer = _Pacer(LIMITS.messages_per_second, LIMITS.jitter_margin, confirmed=True,
                   clock=clock.time, sleep=clock.sleep)  # fmt: skip
    arrivals: list[float] = []
    answers: list[tuple[float, Any]] = []  # (when the answer comes, its slot)
    way = itertools.cycle(delays)
    for _ in range(600):
        # Answers due by now come back first, as the event loop would run them.
        for at, slot in sorted((a for a in answers if a[0] <= clock.now), key=lambda a: a[0]):
            slot.answer(at)
        answers = [a for a in answers if a[1].answered is None]
        if len(answers) >= 30:  # the pacer waits for the oldest: time passes until it is back
            at, slot = min(answers, key=lambda a: a[0])
            clock.now = max(clock.now, at)
            slot.answer(at)
            answers.remove((at, slot))
        slot = await pacer.wait()
        delay = next(way)
        arrivals.append(clock.now + delay)
        answers.append((clock.now + delay, slot))
    assert _most_in_one_second(sorted(arrivals)) <= 30
    if least_rate is not None:
        rate = (len(arrivals) - 1) / (max(arrivals) - min(arrivals))
        assert rate >= least_rate, rate
