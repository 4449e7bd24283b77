"""The adaptive pace of a request budget: a state machine without I/O, on the caller's clock.

A budget sends at most `Pace.rate()` requests per second, through a smooth token bucket; the rate
moves with the service's answers. Its curve after a throttle is CUBIC's (RFC 9438), scaled to the
rate at which the throttle came, with its plateau set *below* that rate:

- Until a first throttle, the rate is the ceiling (the category's quota, or ``max_rps``).
- A throttled answer to a request sent after the last cut is a congestion event: the rate at
  that moment, ``peak`` (the rate the budget allowed, or the rate it was really sending at if
  that was lower), is cut to ``BETA * peak`` at once, and the bucket's saved tokens are dropped.
  Throttled answers to requests sent before the cut say nothing new and cut nothing (they were
  sent at the old rate), so one burst of throttles is one cut, and a new cut needs a throttle of
  a request sent at the new rate: while the service keeps throttling, the rate halves about
  every round trip, never below `FLOOR`.
- After a cut, the rate climbs back along ``peak * (TARGET + C * (t - K) ** 3)``, ``t`` seconds
  after the cut, with ``K = cbrt((TARGET - BETA) / C)``: quickly at first, then more and more
  slowly up to ``TARGET * peak`` (95% of the rate that was throttled), where it stays for a
  while; then it probes above, slowly at first, faster the longer the service accepts it.

The burst (the tokens the bucket saves during a pause) is at most `BURST_MAX`, or 1 for a
quota category whose service bucket may save none (``Pace(burst_max=1)``: ``ListGroups``, whose
pages follow each other and gain nothing from a burst). With a burst of 1 each request leaves
a `SLACK` of an interval later than the rate asks: a bucket that saves no token throttles a
request that arrives a moment early, and arrivals jitter.

Why this shape, and why below: the other callers of the account's quota (the application's own
calls, other jobs) are invisible to us. A budget that returned to the rate where it was throttled
and kept pushing (AIMD's saw-tooth, botocore's adaptive mode) takes their share each time; one
that waits just below it leaves them room, and still finds the capacity that others free when they
stop (the probe). Scaling the curve to ``peak`` makes its times the same at 1 and at 30 requests
per second. The constants are explained in ``docs/many-groups.md``.

`PaceState` is what a budget remembers; it is plain data, so that processes can share it (see
`_store`). `Pace` holds the rules; every method takes the time ``now`` (seconds on the
monotonic clock), so a test drives it on its own clock and checks its arithmetic exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard, cast

__all__ = [
    "BETA",
    "BURST_MAX",
    "CONVERGE",
    "FLOOR",
    "GROWTH",
    "HOLD",
    "PAIR",
    "RISE",
    "SLACK",
    "SLACK_MIN",
    "TARGET",
    "WINDOW",
    "Pace",
    "PaceState",
]

#: The rate after a cut, as a share of the rate at which the throttle came.
BETA = 0.7
#: Where the rate settles after a cut, as a share of the rate at which the throttle came.
TARGET = 0.8
#: A throttle below the last peak says that peak was too high: the new one is cut by this too.
CONVERGE = 0.6
#: Seconds from a cut to the plateau.
RISE = 1.0
#: Seconds the rate stays on the plateau before it probes above.
HOLD = 2.0
#: How fast the probe grows: ``GROWTH * s ** 3`` of the peak, ``s`` seconds into the probe.
GROWTH = 0.01
#: The lowest rate, in requests per second: a budget always probes, however often throttled.
FLOOR = 0.5
#: The largest burst a budget allows, in requests: two below the service's burst (5), so that
#: after an idle moment (a pause, or a job that takes over the machine's shared state of one
#: that just ended) the service still holds two tokens we do not count on, and requests that
#: arrive bunched find them. With 5, back-to-back jobs alone were throttled now and then.
BURST_MAX = 3
#: With a burst of 1, requests leave this share of an interval later than the rate asks, and at
#: least `SLACK_MIN` seconds later (see the module's docstring).
SLACK = 0.1
SLACK_MIN = 0.005
#: The span, in seconds, over which the rate a budget really sends at is measured.
WINDOW = 2.0
#: Seconds within which a request is the second of a pair (see `Pace.take()`).
PAIR = 0.01
#: A token less than this short of whole counts as whole (``(1 - tokens) / rate`` could be a
#: delay so small that adding it to ``now`` gives ``now`` again).
_EPSILON = 1e-9
#: A probe throttled below this share of the last peak found the same limit again.
_NEAR = 1.25
#: At most this many doublings of the hold (to 4 times `HOLD`).
_PROBES_MAX = 2


@dataclass(slots=True)
class PaceState:
    """What a budget remembers: its tokens, its last cut, what it has sent and seen.

    Attributes:
        tokens: Requests that may be sent now (a budget starts with two: one pair).
        stamp: When ``tokens`` was counted.
        cut_at: When the rate was last cut (``-inf``: never).
        peak: The rate at which the last cut's throttle came.
        sent: When the requests of the last `WINDOW` seconds were sent.
        throttled: Throttled answers seen.
        probes: Probes in a row that were throttled near the last peak (each doubles the hold).
    """

    tokens: float = 2.0
    stamp: float = 0.0
    cut_at: float = -math.inf
    peak: float = 0.0
    sent: list[float] = field(default_factory=list[float])
    throttled: int = 0
    probes: int = 0

    def to_json(self) -> dict[str, Any]:
        """The state as JSON values (``cut_at`` of ``-inf`` as ``None``)."""
        return {
            "tokens": self.tokens,
            "stamp": self.stamp,
            "cut_at": None if self.cut_at == -math.inf else self.cut_at,
            "peak": self.peak,
            "sent": self.sent,
            "throttled": self.throttled,
            "probes": self.probes,
        }

    @classmethod
    def from_json(cls, data: object) -> PaceState:
        """The state `to_json()` gave.

        Raises:
            ValueError: ``data`` is not such a state.
        """
        if not isinstance(data, dict):
            raise ValueError("not an object")
        fields = cast("dict[str, object]", data)
        cut_at = fields.get("cut_at")
        sent = fields.get("sent")
        throttled = fields.get("throttled")
        probes = fields.get("probes", 0)
        if (
            not isinstance(sent, list)
            or not _is_count(throttled)
            or not _is_count(probes)
            or probes > _PROBES_MAX
        ):
            raise ValueError("not a pace state")
        return cls(
            tokens=_number(fields.get("tokens")),
            stamp=_number(fields.get("stamp")),
            cut_at=-math.inf if cut_at is None else _number(cut_at),
            peak=_number(fields.get("peak")),
            sent=[_number(value) for value in cast("list[object]", sent)],
            throttled=throttled,
            probes=probes,
        )


def _number(value: object) -> float:
    """``value`` as a float, if it is a finite number (not a bool); else ValueError."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise ValueError("not a pace state")


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Pace:
    """The rules of an adaptive budget with this ``ceiling`` (requests per second).

    Every method works on a `PaceState` at the time ``now``; none does I/O or reads a clock.
    """

    __slots__ = (
        "beta",
        "burst_max",
        "ceiling",
        "converge",
        "floor",
        "growth",
        "hold",
        "pair",
        "rise",
        "target",
        "window",
    )

    def __init__(
        self,
        ceiling: float,
        *,
        beta: float = BETA,
        target: float = TARGET,
        rise: float = RISE,
        hold: float = HOLD,
        growth: float = GROWTH,
        window: float = WINDOW,
        pair: float | None = PAIR,
        converge: float = CONVERGE,
        burst_max: int = BURST_MAX,
    ) -> None:
        if not 1 <= burst_max <= BURST_MAX:
            raise ValueError(f"burst_max: between 1 and {BURST_MAX}, got {burst_max}")
        self.burst_max = burst_max
        self.converge = converge
        self.ceiling = ceiling
        self.floor = min(FLOOR, ceiling)
        self.beta, self.target, self.rise, self.hold = beta, target, rise, hold
        self.growth, self.window, self.pair = growth, window, pair

    def new_state(self, now: float) -> PaceState:
        """The state of a budget that starts at ``now``: a pair's tokens, never cut."""
        return PaceState(stamp=now)

    def rate(self, state: PaceState, now: float) -> float:
        """The requests per second the budget allows at ``now``."""
        if state.cut_at == -math.inf:
            return self.ceiling
        t = max(0.0, now - state.cut_at)
        hold = self.hold * (1 << state.probes)
        if t < self.rise:  # back up towards the plateau, fast at first
            share = self.target - (self.target - self.beta) * (1 - t / self.rise) ** 3
        elif t < self.rise + hold:  # the plateau, below the rate that was throttled
            share = self.target
        else:  # the probe: slowly at first, faster the longer it is accepted
            probe = self.growth * min(1e3, t - self.rise - hold) ** 3
            # Scaled to the peak, but never to less than a tenth of the ceiling: from near the
            # floor, the way back up takes seconds, not minutes.
            return min(
                self.ceiling,
                max(
                    self.floor,
                    state.peak * self.target + max(state.peak, self.ceiling / 10) * probe,
                ),
            )
        return min(self.ceiling, max(self.floor, state.peak * share))

    def burst(self, rate: float) -> float:
        """The most tokens the bucket saves at ``rate``: ``min(burst_max, max(1, floor(rate)))``."""
        return float(min(self.burst_max, max(1, math.floor(rate))))

    def spacing(self, rate: float) -> float:
        """With no burst (``burst_max=1``): seconds between two requests at ``rate``, slack in."""
        return 1 / rate + max(SLACK / rate, SLACK_MIN)

    def take(self, state: PaceState, now: float) -> float:
        """Take a token if there is one (return 0), else return how long until there is one."""
        rate = self.rate(state, now)
        if self.burst_max == 1:  # no burst: a token a little later than the rate makes it
            rate = 1 / self.spacing(rate)
        elapsed = max(0.0, now - state.stamp)
        burst = self.burst(rate)
        tokens = min(burst, state.tokens + elapsed * rate)
        state.stamp = max(state.stamp, now)
        need = 1.0
        if self.pair is not None and not (state.sent and now - state.sent[-1] <= self.pair):
            need = min(2.0, burst)  # the first of a pair: its second must find a token too
        if tokens >= need - _EPSILON:  # a token's worth, but for the rounding of floats
            state.tokens = max(0.0, tokens - 1.0)
            self._sent(state, now)
            return 0.0
        state.tokens = tokens
        return (need - tokens) / rate

    def sent_rate(self, state: PaceState, now: float) -> float | None:
        """The rate the budget really sent at over the last `WINDOW` (``None``: too few sent)."""
        recent = [at for at in state.sent if at > now - self.window]
        if len(recent) < 2:
            return None
        return (len(recent) - 1) / max(recent[-1] - recent[0], _EPSILON)

    def throttled(self, state: PaceState, now: float, sent_at: float) -> float | None:
        """A throttled answer came at ``now`` to a request sent at ``sent_at``.

        Returns:
            The new rate if this answer cut it (a request sent after the last cut), else
            ``None``.
        """
        state.throttled += 1
        if sent_at < state.cut_at:
            return None
        allowed = self.rate(state, sent_at)
        really = self.sent_rate(state, now)
        peak = allowed if really is None else min(allowed, really)
        if allowed <= self.target * state.peak * (1 + _EPSILON):
            # Throttled on the way back to the plateau, or on it, not while probing above it:
            # the last peak was too high, and by more than the last cut assumed.
            peak = min(peak, self.beta * state.peak) * self.converge
            state.probes = 0
        elif peak <= state.peak * _NEAR:
            # A probe throttled about where the last one was: the limit is there, for now;
            # wait longer before the next probe.
            state.probes = min(_PROBES_MAX, state.probes + 1)
        else:
            state.probes = 0
        state.peak = peak
        state.cut_at = now
        state.tokens = min(state.tokens, 0.0)
        return self.rate(state, now)

    def _sent(self, state: PaceState, now: float) -> None:
        sent = state.sent
        sent.append(now)
        cutoff = now - self.window
        if sent[0] <= cutoff:
            state.sent = [at for at in sent if at > cutoff]
