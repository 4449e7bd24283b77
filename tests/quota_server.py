"""A loopback Cognito of many groups with an account quota, for tests and the benchmark.

It serves ``ListGroups`` and ``ListUsersInGroup`` (JSON 1.1, real paging with ``Limit`` 1-60
and opaque tokens) for the pool ``POOL`` (``groups``) and any others (``pools``), answers each
request after a fixed ``latency``, and enforces, on arrival, Cognito's quota categories
(`cognito_groups._pacing._quotas`), each with its own token buckets, beyond which it answers
``TooManyRequestsException`` (HTTP 400):

- UserList (``ListUsersInGroup``, ``ListUsers``): ``rate`` requests per second per account,
  burst ``burst``;
- UserPoolResourceRead (``ListGroups``): ``pool_rate`` per second on each user pool, burst
  ``pool_burst`` (default ``burst``), within ``read_rate`` per second per account, burst
  ``burst`` (a request takes a token from both, and is throttled if either has none).

A burst of 1 is no burst: a request is admitted only if it arrives at least one interval of
the rate after the last one admitted (AWS documents no burst for its quotas).

A request's quota is decided when it arrives, on the monotonic clock. With ``jitter`` set, it
is decided instead at the moment the client stamped on it (`stamp_sent_at()`: the
``X-Test-Sent-At`` header, this process's monotonic clock) plus a delay drawn from
``[0, jitter)`` (seeded): as a network with that jitter would deliver it, however busy the
machine running the test is (its scheduling delays are tens of milliseconds under load, more
than the jitter a budget must allow for, and would decide a test by chance).

Other callers of the account (the application's own ``ListUsers`` calls, another job) are
`OtherCaller` threads: open loop, at a fixed rate, their calls decided by the same buckets in
process (no HTTP), never retried, each throttled one counted, so a test sees whom a job hurts.
The server's own counts (``requests``, ``throttled``, ``admitted``) are the HTTP requests' only.

``rate=None`` turns every quota off (``pool_rate=None`` or ``read_rate=None``: that one only).
A ``fault`` function may replace any answer: ``fault(number, operation, params)`` returns
``"reset"`` (close the connection without answering), an ``(HTTP status, error code)`` pair,
or ``None`` (answer normally).

Usage::

    with QuotaServer({"g00": 180, "g01": 180}, latency=0.08) as server:
        with server.other_caller(15.0) as other:  # 15 ListUsers calls a second meanwhile
            CognitoGroups(endpoint_url=server.url, region_name="us-east-1").iter_memberships(...)
        server.throttled, server.throttled_by_operation["ListGroups"], server.peak_per_second()
        other.calls, other.throttled
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .servers import STOPS_QUICKLY
from .users import POOL as POOL  # the tests import the pool from here too
from .users import numbered_user, wire_json

_PREFIX = "AWSCognitoIdentityProviderService."

Fault = Callable[[int, str, Mapping[str, Any]], "str | tuple[int, str] | None"]


def held_from(number: int, release: threading.Event) -> Fault:
    """A fault that holds the ``number``-th request and later ones until ``release`` is set.

    Then each is answered as usual (held 60 s at most). A test stops a run mid-listing this
    way, whatever the machine's load: the run cannot finish before the test has acted.
    """

    def fault(request: int, operation: str, params: Mapping[str, Any]) -> None:
        if request >= number:
            release.wait(60)

    return fault


def members_of(group: str, count: int) -> list[str]:
    """The usernames of a generated group: ``<group>-u0000`` ...."""
    return [f"{group}-u{index:04d}" for index in range(count)]


class TokenBucket:
    """A quota's bucket: ``rate`` tokens a second up to ``burst``, full at first.

    A request is admitted if it finds a whole token (on the monotonic clock, or at ``now``).
    """

    def __init__(self, rate: float, burst: float, *, now: float | None = None) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic() if now is None else now
        self.lock = threading.Lock()

    def admit(self, now: float | None = None) -> bool:
        with self.lock:
            now = time.monotonic() if now is None else now
            elapsed = max(0.0, now - self.stamp)  # a request stamped before the last one
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
            self.stamp = max(self.stamp, now)
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


Groups = Mapping[str, "int | list[str]"]


class OtherCaller:
    """Another caller of the account: ``rate`` calls a second of ``operation``, open loop.

    Its calls are at fixed times (``start + k / rate``, whatever the answers), from when it
    starts for ``duration`` seconds (or until stopped), each taking a token from the server's
    buckets in process. ``calls`` and ``throttled`` count them.

    With the server's ``jitter`` (requests decided at the moment they left), it has no thread:
    the server makes its calls in time order, each at its fixed time, before it decides a
    request that left later (and the last ones when it stops). A thread woken late on a busy
    machine would otherwise make the calls it missed at once, a burst the caller never meant,
    and decide the test by chance.
    """

    def __init__(
        self,
        server: QuotaServer,
        rate: float,
        *,
        operation: str = "ListUsers",
        duration: float | None = None,
        delay: float = 0.0,
    ) -> None:
        self.server = server
        self.rate = rate
        self.operation = operation
        self.duration = duration
        self.delay = delay
        self.calls = 0
        self.throttled = 0
        self.throttled_at: list[float] = []  # monotonic
        self.started: float | None = None
        self._next = 0  # the number of its next call, when the server makes them
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="other-caller")

    @property
    def throttled_share(self) -> float:
        """The share of its calls that were throttled."""
        return self.throttled / self.calls if self.calls else 0.0

    @property
    def scheduled(self) -> bool:
        """Whether the server makes its calls in time order (its ``jitter``), not a thread."""
        return self.server.jitter is not None

    def start(self) -> OtherCaller:
        if self.scheduled:
            self.started = time.monotonic() + self.delay
            self._next = 0
            self.server.schedule(self)
        else:
            self._thread.start()
        return self

    def stop(self) -> None:
        if self.scheduled:
            self.server.unschedule(self, time.monotonic())
            return
        self._stop.set()
        self._thread.join()

    def wait(self) -> None:
        """Wait until its ``duration`` is over."""
        if self.scheduled:
            assert self.duration is not None
            assert self.started is not None
            time.sleep(max(0.0, self.started + self.duration - time.monotonic()))
            self.server.unschedule(self, time.monotonic())
            return
        self._thread.join()

    def calls_until(self, now: float) -> None:
        """Make the calls due until ``now``, each at its fixed time (the server's lock held)."""
        started = self.started
        assert started is not None
        while True:
            due = started + self._next / self.rate
            if due > now or (self.duration is not None and due - started >= self.duration):
                return
            self._call(due)
            self._next += 1

    def _call(self, at: float | None) -> None:
        admitted = self.server.admit_now(self.operation, {"UserPoolId": POOL}, at)
        self.calls += 1
        if not admitted:
            self.throttled += 1
            self.throttled_at.append(time.monotonic() if at is None else at)

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        started = self.started = time.monotonic()
        number = 0
        while not self._stop.is_set():
            due = started + number / self.rate
            if self.duration is not None and due - started >= self.duration:
                return
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            self._call(None)
            number += 1


class QuotaServer:
    """See the module's docstring. ``groups`` maps a group name to its members (or a count)."""

    def __init__(
        self,
        groups: Groups,
        *,
        pools: Mapping[str, Groups] | None = None,
        latency: float = 0.0,
        rate: float | None = 30.0,
        burst: float = 5.0,
        pool_rate: float | None = 5.0,
        pool_burst: float | None = None,
        read_rate: float | None = 20.0,
        fault: Fault | None = None,
        hostile: bool = False,
        pool: str = POOL,
        jitter: float | None = None,
    ) -> None:
        self.pools = {
            pool_id: {
                name: members_of(name, members) if isinstance(members, int) else list(members)
                for name, members in pool_groups.items()
            }
            for pool_id, pool_groups in {pool: groups, **(pools or {})}.items()
        }
        self.groups = self.pools[pool]
        self.latency = latency
        quotas = rate is not None
        self.bucket = TokenBucket(rate, burst) if rate is not None else None  # UserList
        self.read_bucket = (  # UserPoolResourceRead, per account
            TokenBucket(read_rate, burst) if quotas and read_rate is not None else None
        )
        self.pool_rate = pool_rate if quotas else None
        self.burst = burst
        self.pool_burst = burst if pool_burst is None else pool_burst
        self.pool_buckets: dict[str, TokenBucket] = {}  # UserPoolResourceRead, per pool
        self.fault = fault
        self.jitter = jitter
        self._jitter_random = random.Random(0)
        self.hostile = hostile  # each user's ``name`` one of users.HOSTILE_VALUES
        #: The ``sub`` of a username deleted and created again (else one derived from it).
        self.subs: dict[str, str] = {}
        #: Fields of a group's ``ListGroups`` entry replaced (``Description``, ``Precedence`` ...).
        self.group_fields: dict[str, dict[str, Any]] = {}
        #: A user's ``UserStatus`` replaced, by username.
        self.statuses: dict[str, str] = {}
        self.pool = pool  # the pool of ``groups`` (other ids: ``pools``, else not found)
        self.admitted: list[float] = []  # when each admitted request was admitted
        self.throttled = 0
        self.throttled_by_operation: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        #: Held while requests are decided in order with the scheduled callers' calls.
        self._order = threading.RLock()
        self._scheduled: list[OtherCaller] = []
        self._tokens: dict[str, tuple[str, int]] = {}
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs=STOPS_QUICKLY, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> QuotaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def memberships(self, pool: str | None = None) -> list[tuple[str, str]]:
        """Every (group, username) the server holds in ``pool`` (default: ``groups``' pool)."""
        chosen = self.pools[self.pool if pool is None else pool]
        return [(group, user) for group, users in chosen.items() for user in users]

    @contextmanager
    def other_caller(
        self,
        rate: float,
        *,
        operation: str = "ListUsers",
        duration: float | None = None,
        delay: float = 0.0,
    ) -> Iterator[OtherCaller]:
        """Another caller at ``rate`` calls a second while inside (see `OtherCaller`)."""
        caller = OtherCaller(
            self, rate, operation=operation, duration=duration, delay=delay
        ).start()
        try:
            yield caller
        finally:
            caller.stop()

    def peak_per_second(self) -> int:
        """The most requests admitted in any window of one second."""
        stamps = sorted(self.admitted)
        best = 0
        start = 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def schedule(self, caller: OtherCaller) -> None:
        """Make ``caller``'s calls here, in time order (see `OtherCaller`)."""
        with self._order:
            self._scheduled.append(caller)

    def unschedule(self, caller: OtherCaller, now: float) -> None:
        """Make ``caller``'s calls due until ``now``, then no more."""
        with self._order:
            caller.calls_until(now)
            self._scheduled.remove(caller)

    def admit(self, operation: str, params: Mapping[str, Any], at: float | None = None) -> bool:
        """Whether the request fits its category's buckets (taking their tokens if it does).

        ``at``: when it arrived (default: now), on the monotonic clock. The scheduled other
        callers' calls due before it are made first, in time order.
        """
        with self._order:
            when = time.monotonic() if at is None else at
            for caller in self._scheduled:
                caller.calls_until(when)
            return self.admit_now(operation, params, at)

    def admit_now(self, operation: str, params: Mapping[str, Any], at: float | None = None) -> bool:
        """`admit()`, without making the scheduled callers' calls first."""
        if operation != "ListGroups":
            return self.bucket is None or self.bucket.admit(at)
        if self.pool_rate is not None:
            pool = str(params.get("UserPoolId"))
            with self._lock:
                bucket = self.pool_buckets.get(pool)
                if bucket is None:
                    bucket = self.pool_buckets[pool] = TokenBucket(
                        self.pool_rate, self.pool_burst, now=at
                    )
            if not bucket.admit(at):
                return False
        return self.read_bucket is None or self.read_bucket.admit(at)

    def _arrival(self, stamped: str | None) -> float | None:
        """When a request counts as arrived: ``None`` (now), or its stamp plus a jitter."""
        if self.jitter is None:
            return None
        if stamped is None:
            raise ValueError(f"no {SENT_AT_HEADER} header: stamp_sent_at() the client")
        with self._lock:
            delay = self._jitter_random.uniform(0.0, self.jitter)
        return float(stamped) + delay

    def _token(self, key: str, offset: int) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._tokens[token] = (key, offset)
        return token

    def _answer(self, operation: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        limit = params.get("Limit", 60)
        if not isinstance(limit, int) or not 1 <= limit <= 60:
            return 400, _error("InvalidParameterException", "Limit must be 1 to 60")
        pool = params.get("UserPoolId")
        groups = self.pools.get(pool) if isinstance(pool, str) else None
        if groups is None:
            return 400, _error("ResourceNotFoundException", "User pool does not exist.")
        if operation == "ListGroups":
            key, names, member = f"{pool}/", list(groups), "Groups"
        else:
            group, member = params.get("GroupName", ""), "Users"
            if group not in groups:
                return 400, _error("ResourceNotFoundException", "Group not found.")
            key, names = f"{pool}/{group}", groups[group]
        offset = 0
        sent = params.get("NextToken")
        if sent is not None:
            with self._lock:
                where = self._tokens.get(sent)
            if where is None or where[0] != key:
                return 400, _error("InvalidParameterException", "Invalid token")
            offset = where[1]
        stop = min(offset + limit, len(names))
        if member == "Groups":
            items = [{"GroupName": names[i], "UserPoolId": pool, "Precedence": i,
                      "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9,
                      **self.group_fields.get(names[i], {})}
                     for i in range(offset, stop)]  # fmt: skip
        else:
            items = [self._user(i, names[i]) for i in range(offset, stop)]
        body: dict[str, Any] = {member: items}
        if stop < len(names):
            body["NextToken"] = self._token(key, stop)
        return 200, body

    def sub_of(self, username: str) -> str:
        """The ``sub`` of a user: one per username (`subs` re-creates one: another account)."""
        # Any username, a lone surrogate too (a hostile endpoint's): by its bytes.
        named = username.encode("utf-8", "surrogatepass").hex()
        return self.subs.get(username) or str(uuid.uuid5(uuid.NAMESPACE_URL, named))

    def _user(self, index: int, username: str) -> dict[str, Any]:
        user = numbered_user(index, username, hostile=self.hostile)
        for attribute in user["Attributes"]:
            if attribute["Name"] == "sub":
                attribute["Value"] = self.sub_of(username)
        if username in self.statuses:
            user["UserStatus"] = self.statuses[username]
        return user

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = (self.headers.get("X-Amz-Target") or "").removeprefix(_PREFIX)
                params = json.loads(raw or b"{}")
                with server._lock:
                    server.requests += 1
                    number = server.requests
                # The quota is checked on arrival, as a service's front door does; the latency
                # comes after (checked after a sleep, a busy test machine's late wake-ups
                # would bunch requests that arrived paced).
                arrived = server._arrival(self.headers.get(SENT_AT_HEADER))
                admitted = server.admit(operation, params, arrived)
                if admitted:
                    with server._lock:
                        server.admitted.append(time.monotonic() if arrived is None else arrived)
                if server.latency:
                    time.sleep(server.latency)
                if not admitted:
                    with server._lock:
                        server.throttled += 1
                        server.throttled_by_operation[operation] += 1
                    self._send(400, _error("TooManyRequestsException", "Too many requests"))
                    return
                fault = server.fault(number, operation, params) if server.fault else None
                if fault == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(fault, tuple):
                    status, code = fault
                    self._send(status, _error(code, "injected"))
                    return
                if operation not in ("ListGroups", "ListUsersInGroup"):
                    self._send(400, _error("UnknownOperationException", "not here"))
                    return
                self._send(*server._answer(operation, params))

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = wire_json(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore errors of connections the client already closed."""


SENT_AT_HEADER = "X-Test-Sent-At"


def stamp_sent_at(client: Any) -> None:
    """Stamp each request of ``client`` with the moment it leaves (`QuotaServer`'s ``jitter``).

    The moment is taken after every other ``before-send`` handler (the budgets' waits), as
    the request goes out; it is not signed, and a real service would ignore it.
    """

    def stamp(request: Any = None, **_: Any) -> None:
        request.headers[SENT_AT_HEADER] = repr(time.monotonic())

    client.meta.events.register_last("before-send.cognito-identity-provider", stamp)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}
