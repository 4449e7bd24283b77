"""The adaptive pace's arithmetic, on the test's own clock (no thread, no sleep, no wall clock)."""

from __future__ import annotations

import itertools
import math

import pytest

from cognito_groups._pacing._pace import (
    BETA,
    BURST_MAX,
    CONVERGE,
    FLOOR,
    GROWTH,
    HOLD,
    PAIR,
    RISE,
    SLACK_MIN,
    TARGET,
    Pace,
    PaceState,
)

from .pace_simulation import Caller, Job, simulate


def sent_every(pace: Pace, state: PaceState, start: float, rate: float, count: int) -> float:
    """Take ``count`` tokens at ``rate`` from ``start`` (each when due); the time after."""
    now = start
    for _ in range(count):
        while (wait := pace.take(state, now)) > 0:
            now += wait
        now += 1 / rate
    return now


def test_a_new_budget_allows_its_ceiling_and_starts_with_one_token() -> None:
    """Never cut: the rate is the ceiling; a pair's tokens at first, then none until it refills."""
    pace = Pace(32, pair=None)
    state = pace.new_state(100.0)
    assert pace.rate(state, 100.0) == 32
    assert pace.take(state, 100.0) == 0.0
    assert pace.take(state, 100.0) == 0.0
    assert pace.take(state, 100.0) == 1 / 32
    assert pace.take(state, 100.0 + 1 / 64) == 1 / 64  # half a token's wait left
    assert pace.take(state, 100.0 + 1 / 32) == 0.0
    assert state.sent == [100.0, 100.0, 100.0 + 1 / 32]


def test_with_no_burst_each_request_leaves_an_interval_and_a_slack_after_the_last() -> None:
    """``burst_max=1`` (ListGroups): one token after any pause; then an interval and 10% more."""
    pace = Pace(5, burst_max=1)
    state = pace.new_state(0.0)
    assert pace.take(state, 0.0) == 0.0  # a new budget's pair of tokens is one
    assert pace.take(state, 0.0) == pytest.approx(0.2 + 0.02)
    assert pace.take(state, 10.0) == 0.0  # ten seconds idle save one token, not three
    assert pace.take(state, 10.0) == pytest.approx(0.22)
    assert pace.take(state, 10.22) == 0.0
    fast = Pace(1000, burst_max=1)
    state = fast.new_state(0.0)
    assert fast.take(state, 0.0) == 0.0
    assert fast.take(state, 0.0) == pytest.approx(0.001 + SLACK_MIN)  # at least 5 ms more
    with pytest.raises(ValueError, match="burst_max: between 1 and 3, got 0"):
        Pace(5, burst_max=0)


def test_the_burst_is_capped() -> None:
    """Idle time saves at most ``min(3, floor(rate))`` tokens (and one at a rate below 2)."""
    pace = Pace(128, pair=None)
    state = pace.new_state(0.0)
    assert [pace.take(state, 0.25) for _ in range(BURST_MAX)] == [0.0] * BURST_MAX
    assert pace.take(state, 0.25) == 1 / 128
    assert pace.burst(0.5) == pace.burst(1.9) == 1
    assert pace.burst(3.5) == 3
    assert pace.burst(30) == BURST_MAX


def test_requests_leave_in_pairs() -> None:
    """A request leaves when two tokens are there, and the next one within `PAIR` with it."""
    pace = Pace(32)
    state = PaceState(tokens=1.0, stamp=0.0)
    assert pace.take(state, 0.0) == 1 / 32  # one token: the first of a pair waits for two
    first = 1 / 32
    assert pace.take(state, first) == 0.0  # the first of the pair
    second = first + PAIR / 2
    assert pace.take(state, second) == 0.0  # its second, on the token left
    assert state.tokens == pytest.approx(PAIR / 2 * 32)
    # A third, within PAIR of the second, waits for one token; later, for two.
    assert pace.take(state, second + PAIR / 4) == pytest.approx((1 - 0.75 * PAIR * 32) / 32)
    later = second + 2 * PAIR
    assert pace.take(state, later) == pytest.approx((2 - 2.5 * PAIR * 32) / 32)
    assert Pace(1.5).take(PaceState(tokens=1.0, stamp=0.0), 0.0) == 0.0  # no pairs below 2/s


def test_a_throttle_cuts_the_rate_to_beta_of_the_rate_it_came_at() -> None:
    """Cut at once to ``BETA`` of the allowed rate (or of the rate really sent, if lower)."""
    pace = Pace(30)
    state = pace.new_state(0.0)
    assert pace.throttled(state, 1.0, sent_at=0.9) == pytest.approx(30 * BETA)
    assert (state.peak, state.cut_at, state.throttled) == (30, 1.0, 1)
    slow = pace.new_state(0.0)
    sent_every(Pace(30, pair=None), slow, 0.0, 10.0, 21)  # really sending at 10/s
    assert pace.throttled(slow, 2.1, sent_at=2.0) == pytest.approx(10 * BETA, rel=1e-6)


def test_throttles_of_requests_sent_before_a_cut_do_not_cut_again() -> None:
    """A burst of throttled answers is one cut; each is counted."""
    pace = Pace(30)
    state = pace.new_state(0.0)
    assert pace.throttled(state, 1.0, sent_at=0.92) is not None
    assert pace.throttled(state, 1.01, sent_at=0.93) is None
    assert pace.throttled(state, 1.02, sent_at=0.99) is None
    assert state.throttled == 3
    assert state.cut_at == 1.0


def test_a_throttle_on_the_way_back_says_the_peak_was_too_high() -> None:
    """Sent after the cut and throttled before the plateau: the peak is cut once more."""
    pace = Pace(30)
    state = pace.new_state(0.0)
    pace.throttled(state, 1.0, sent_at=0.9)
    allowed = pace.rate(state, 1.2)
    pace.throttled(state, 1.3, sent_at=1.2)
    assert state.peak == pytest.approx(min(allowed, BETA * 30) * CONVERGE)


def test_the_curve_after_a_cut() -> None:
    """Back up to the plateau in `RISE`, stay there `HOLD`, then probe above, faster and faster."""
    pace = Pace(100)  # a ceiling out of the way (and a tenth of it below the peak)
    state = PaceState(cut_at=0.0, peak=20.0)
    assert pace.rate(state, 0.0) == pytest.approx(20 * BETA)
    rise = [pace.rate(state, RISE * step / 10) for step in range(11)]
    assert rise == sorted(rise)  # up all the way ...
    assert rise[5] - rise[0] > rise[10] - rise[5]  # ... fast at first
    assert rise[10] == pytest.approx(20 * TARGET)
    assert pace.rate(state, RISE + HOLD / 2) == pytest.approx(20 * TARGET)
    assert pace.rate(state, RISE + HOLD) == pytest.approx(20 * TARGET)
    probe = [pace.rate(state, RISE + HOLD + step) for step in range(8)]
    steps = [b - a for a, b in itertools.pairwise(probe)]
    assert steps == sorted(steps)  # faster the longer it is accepted
    assert probe[3] == pytest.approx(20 * (TARGET + GROWTH * 27))
    assert TARGET < 1  # the plateau is below the rate that was throttled


def test_the_rate_stays_between_the_floor_and_the_ceiling() -> None:
    """Never above the ceiling when probing; never below `FLOOR`, however often throttled."""
    pace = Pace(30)
    state = PaceState(cut_at=0.0, peak=25.0)
    assert pace.rate(state, 1e6) == 30
    now = 1.0
    for _ in range(50):  # throttled at every turn
        now += 0.2
        pace.throttled(state, now, sent_at=now - 0.01)
    assert pace.rate(state, now) == FLOOR
    assert Pace(0.2).floor == 0.2  # a ceiling below the floor is the floor


def test_a_cut_drops_the_saved_tokens() -> None:
    """The tokens saved at the old rate are not spent at the new one."""
    pace = Pace(30, pair=None)
    state = pace.new_state(0.0)
    pace.take(state, 10.0)  # idle: the burst saved, less one
    assert state.tokens == BURST_MAX - 1
    pace.throttled(state, 10.1, sent_at=10.0)
    assert state.tokens <= 0


def test_the_state_as_json_and_back() -> None:
    """What the shared file holds: plain numbers, ``-inf`` as null; the same state back."""
    state = PaceState(tokens=0.5, stamp=3.0, peak=12.5, sent=[2.5, 2.75], throttled=4)
    assert PaceState.from_json(state.to_json()) == state
    assert state.to_json()["cut_at"] is None
    cut = PaceState(cut_at=7.0)
    assert PaceState.from_json(cut.to_json()).cut_at == 7.0


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        {"tokens": "1", "stamp": 0, "peak": 0, "sent": [], "throttled": 0, "cut_at": None},
        {"tokens": 1, "stamp": 0, "peak": 0, "sent": [], "throttled": -1, "cut_at": None},
        {"tokens": 1, "stamp": 0, "peak": 0, "sent": ["x"], "throttled": 0, "cut_at": None},
        {"tokens": 1, "stamp": 0, "peak": 0, "sent": [], "throttled": True, "cut_at": None},
        {"tokens": math.nan, "stamp": 0, "peak": 0, "sent": [], "throttled": 0, "cut_at": None},
        {"tokens": 1, "stamp": 0, "peak": 0, "sent": {}, "throttled": 0, "cut_at": "x"},
    ],
    ids=["list", "empty", "string", "negative", "bad-sent", "bool", "nan", "bad-cut"],
)
def test_a_damaged_state_is_refused(data: object) -> None:
    """Anything but a state `to_json()` wrote is a ValueError (the store starts afresh)."""
    with pytest.raises(ValueError, match="not"):
        PaceState.from_json(data)


def test_the_constants_keep_their_order() -> None:
    """The cut is below the plateau, the plateau below the throttled rate."""
    assert 0 < BETA < TARGET < 1
    assert 0 < CONVERGE < 1
    assert RISE > 0
    assert HOLD > 0
    assert GROWTH > 0


# The behaviour against a simulated quota (30/s, burst 5, 80 ms), exact for a seed. These are
# the properties the benchmark measures for real (`make bench-quota`), checked here on the
# simulation's clock: generous bounds, not the figures.
JOB = 241  # 48 groups x 300 users, and ListGroups


def test_alone_it_runs_at_the_quota_without_a_throttle() -> None:
    """No other caller: no throttled request, within a few percent of requests / 30."""
    for seed in range(3):
        result = simulate([Job(JOB)], seed=seed)
        assert result.throttled == 0
        assert result.finished < 1.05 * JOB / 30


def test_it_leaves_room_for_another_caller() -> None:
    """Another caller at 15/s: we are throttled a little, it rarely; we go at about 15/s."""
    for seed in range(3):
        result = simulate([Job(JOB)], [Caller(15)], seed=seed)
        assert result.our_share < 0.1
        assert result.others_share < 0.15
        assert result.finished < 1.6 * JOB / 15


def test_it_comes_back_up_when_the_other_caller_stops() -> None:
    """Another caller at 20/s for 5 s: cut meanwhile, back near the quota after."""
    for seed in range(3):
        result = simulate([Job(JOB)], [Caller(20, start=3.0, duration=5.0)], seed=seed)
        assert result.finished < 1.6 * (3 + 5 + (JOB - 90 - 50) / 30)
        late = [rate for at, rate in result.jobs[0].rates if at > result.finished - 1]
        assert max(late) > 20  # back up


def test_processes_sharing_a_state_are_one_budget() -> None:
    """Three jobs on one shared state: no throttle, the quota's floor."""
    jobs = [Job(JOB, shared="machine", start=start) for start in (0.0, 0.05, 0.1)]
    result = simulate(jobs)
    assert result.throttled == 0
    assert result.finished < 1.05 * 3 * JOB / 30


def test_processes_each_alone_throttle_each_other_and_still_finish() -> None:
    """Three jobs with a state each: they throttle each other, back off, and all finish."""
    jobs = [Job(JOB, start=start) for start in (0.0, 0.05, 0.1)]
    result = simulate(jobs)
    assert result.throttled > 0
    assert all(job.done == JOB for job in result.jobs)


def test_a_caller_near_the_quota_slows_it_down_without_stopping_it() -> None:
    """Another caller at 29/s for 25 s: the job goes on at about the floor, then finishes."""
    result = simulate([Job(JOB)], [Caller(29, start=3.0, duration=25.0)])
    assert result.jobs[0].done == JOB
    slow = [rate for at, rate in result.jobs[0].rates if 8 < at < 28]
    assert slow
    assert min(slow) < 3  # about the 1/s the other caller leaves


def test_back_to_back_jobs_alone_are_not_throttled() -> None:
    """Jobs one after another sharing the machine's state, alone: no throttle, at the floor.

    Each takes over a state whose bucket refilled while it started; the service's did too.
    A budget that saved as many tokens as the service left no spare for requests arriving
    bunched (with a burst of 5: 49 throttles over these 20 seeds, jobs up to 1.2x slower).
    """
    for seed in range(20):
        result = simulate([Job(96, start=5.0 * i, shared="machine") for i in range(6)], seed=seed)
        assert [job.throttled for job in result.jobs] == [0] * 6, seed
        for number, job in enumerate(result.jobs):
            assert job.finished is not None
            assert job.finished - 5.0 * number < 96 / 30 * 1.03
