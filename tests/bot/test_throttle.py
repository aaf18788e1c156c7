"""The flood guard's decisions on a clock the test drives: exact, whatever the machine's speed."""

from __future__ import annotations

from bot.middlewares import ThrottleMiddleware


class Seconds:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _flood(throttle: ThrottleMiddleware, user: int, n: int) -> tuple[int, int]:
    allowed = warned = 0
    for _ in range(n):
        ok, warn = throttle._allow(user)
        allowed += ok
        warned += warn
    return allowed, warned


def test_a_burst_then_the_rate_and_one_warning_per_window() -> None:
    t = Seconds()
    throttle = ThrottleMiddleware(rate=3, burst=15, warn_every=30, time_source=t)
    assert _flood(throttle, 1, 100) == (15, 1)
    t.now += 1  # three tokens trickle in: served, and the flood goes on without a second note
    assert _flood(throttle, 1, 100) == (3, 0)
    t.now += 10
    assert _flood(throttle, 1, 100) == (15, 0)  # the bucket is full again; still in the window
    t.now += 18  # 29 s after the first note
    assert _flood(throttle, 1, 100) == (15, 0)
    t.now += 2  # 31 s after it: a flood now earns one more
    assert _flood(throttle, 1, 100) == (6, 1)


def test_users_do_not_share_a_bucket_and_idle_users_are_forgotten() -> None:
    t = Seconds()
    throttle = ThrottleMiddleware(rate=3, burst=15, warn_every=30, max_users=10, time_source=t)
    assert _flood(throttle, 1, 20) == (15, 1)
    assert _flood(throttle, 2, 20) == (15, 1)
    for user in range(100, 200):  # many users: the cache stays bounded
        throttle._allow(user)
    assert len(throttle._buckets) <= 10
    t.now += 31
    throttle._buckets.expire()
    assert len(throttle._buckets) == 0
