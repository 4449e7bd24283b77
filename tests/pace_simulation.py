"""The adaptive pace against a simulated quota, on a simulated clock: no thread, no sleep.

A discrete-event simulation of what `tests/quota_server.py` does for real: a token bucket of
``quota`` requests per second (burst ``burst``) decides on each request's arrival whether it is
throttled; every answer comes ``latency`` seconds later. Jobs send through `Pace`, each with
``workers`` requests at most in flight (the groups ``iter_memberships`` lists at once); a
throttled request is sent again, at the pace's rate. Other callers send open loop at a fixed
rate and are never retried: their throttled calls are the harm we do.

Deterministic: the same arguments give the same result, so tests assert on it exactly, and the
constants of `_pace` are tuned here in milliseconds of CPU rather than minutes of real time.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cognito_groups._pacing._pace import Pace, PaceState

from .quota_server import TokenBucket

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


@dataclass(frozen=True)
class Caller:
    """Another caller: ``rate`` calls per second, open loop, from ``start`` for ``duration``."""

    rate: float
    start: float = 0.0
    duration: float = float("inf")
    poisson: bool = False


@dataclass(frozen=True)
class Job:
    """A job of ``requests`` successful requests, ``workers`` in flight, starting at ``start``.

    Jobs with the same ``shared`` key share one pace state (processes sharing the budget).
    """

    requests: int
    workers: int = 4
    start: float = 0.0
    ceiling: float = 30.0
    shared: str | None = None
    pace: dict[str, Any] = field(default_factory=dict[str, Any])  # Pace()'s keywords


@dataclass
class JobResult:
    sent: int = 0
    throttled: int = 0
    done: int = 0
    finished: float | None = None
    rates: list[tuple[float, float]] = field(default_factory=list[tuple[float, float]])
    throttled_at: list[float] = field(default_factory=list[float])


@dataclass
class Result:
    jobs: list[JobResult]
    others_sent: int
    others_throttled: int
    others_throttled_at: list[float] = field(default_factory=list[float])

    @property
    def sent(self) -> int:
        return sum(job.sent for job in self.jobs)

    @property
    def throttled(self) -> int:
        return sum(job.throttled for job in self.jobs)

    @property
    def finished(self) -> float:
        return max(job.finished or float("inf") for job in self.jobs)

    @property
    def others_share(self) -> float:
        return self.others_throttled / self.others_sent if self.others_sent else 0.0

    @property
    def our_share(self) -> float:
        return self.throttled / self.sent if self.sent else 0.0


class _Run:
    """The events of one simulation: a queue of (time, order, action)."""

    def __init__(self, quota: float, burst: float, jitter: float, seed: int) -> None:
        self.queue: list[tuple[float, int, Callable[[float], None]]] = []
        self.order = itertools.count()
        self.bucket = TokenBucket(quota, burst, now=0.0)
        self.random = random.Random(seed)
        self.jitter = jitter
        self.spread = True
        self.others_throttled_at: list[float] = []

    def at(self, when: float, action: Callable[[float], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.order), action))

    def noise(self) -> float:
        return self.random.uniform(0, self.jitter)


class _Job:
    """One job's workers: each sends its next request when the last one succeeded."""

    def __init__(
        self, run: _Run, job: Job, state: PaceState, result: JobResult, latency: float
    ) -> None:
        self.run, self.job, self.state, self.result = run, job, state, result
        self.pace = Pace(job.ceiling, **job.pace)
        self.latency = latency
        self.started = 0

    def next_request(self, now: float) -> None:
        if self.started < self.job.requests:
            self.started += 1
            self.send(now)

    def send(self, now: float) -> None:
        delay = self.pace.take(self.state, now)
        if delay > 0:
            self.run.at(now + delay + self.run.noise() / 4, self.send)
            return
        rate = self.pace.rate(self.state, now)
        spread = self.run.random.random() / rate if self.run.spread else 0.0
        self.run.at(now + (spread if self.pace.pair is None else 0.0), self.go)

    def go(self, now: float) -> None:
        result = self.result
        result.sent += 1
        result.rates.append((now, self.pace.rate(self.state, now)))
        arrival = now + 0.001 + self.run.noise()
        admitted = self.run.bucket.admit(arrival)

        def answer(t: float) -> None:
            if admitted:
                result.done += 1
                if result.done == self.job.requests:
                    result.finished = t
                self.next_request(t)
            else:
                result.throttled += 1
                result.throttled_at.append(t)
                self.pace.throttled(self.state, t, now)
                self.send(t)

        self.run.at(arrival + self.latency + self.run.noise(), answer)


class _Caller:
    def __init__(self, run: _Run, caller: Caller, counts: list[int]) -> None:
        self.run, self.caller, self.counts, self.k = run, caller, counts, 0

    def call(self, now: float) -> None:
        caller = self.caller
        if now >= caller.start + caller.duration:
            return
        self.counts[0] += 1
        if not self.run.bucket.admit(now):
            self.counts[1] += 1
            self.run.others_throttled_at.append(now)
        self.k += 1
        if caller.poisson:
            self.run.at(now + self.run.random.expovariate(caller.rate), self.call)
        else:
            self.run.at(caller.start + self.k / caller.rate + self.run.noise(), self.call)


def simulate(
    jobs: Sequence[Job],
    callers: Sequence[Caller] = (),
    *,
    quota: float = 30.0,
    burst: float = 5.0,
    latency: float = 0.08,
    jitter: float = 0.004,
    seed: int = 0,
    horizon: float = 600.0,
) -> Result:
    """Run ``jobs`` and ``callers`` against the quota until every job is done (or ``horizon``).

    Every arrival and answer is late by up to ``jitter`` seconds (seeded: the same arguments
    give the same result).
    """
    run = _Run(quota, burst, jitter, seed)
    others = [0, 0]  # sent, throttled
    states: dict[str, PaceState] = {}
    results = [JobResult() for _ in jobs]
    for number, (job, result) in enumerate(zip(jobs, results, strict=True)):
        key = job.shared if job.shared is not None else f"own-{number}"
        state = states.setdefault(key, PaceState(stamp=job.start))
        runner = _Job(run, job, state, result, latency)
        for _ in range(job.workers):
            run.at(job.start, runner.next_request)
    for caller in callers:
        run.at(caller.start, _Caller(run, caller, others).call)
    while run.queue:
        when, _, action = heapq.heappop(run.queue)
        if when > horizon or all(r.finished is not None for r in results):
            break
        action(when)
    return Result(results, others[0], others[1], run.others_throttled_at)
