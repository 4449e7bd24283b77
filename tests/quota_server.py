"""A loopback Cognito of many groups with an account quota, for tests and the benchmark.

It serves ``ListGroups`` and ``ListUsersInGroup`` (JSON 1.1, real paging with ``Limit`` 1-60
and opaque tokens), answers each request after a fixed ``latency``, and enforces, on arrival,
Cognito's quota categories (`cognito_groups._quotas`), each with its own token buckets, beyond
which it answers ``TooManyRequestsException`` (HTTP 400):

- UserList (``ListUsersInGroup``): ``rate`` requests per second per account, burst ``burst``;
- UserPoolResourceRead (``ListGroups``): ``pool_rate`` per second on each user pool, within
  ``read_rate`` per second per account, burst ``burst`` each (a request takes a token from
  both, and is throttled if either has none).

``rate=None`` turns every quota off (``pool_rate=None`` or ``read_rate=None``: that one only).
A ``fault`` function may replace any answer: ``fault(number, operation, params)`` returns
``"reset"`` (close the connection without answering), an ``(HTTP status, error code)`` pair,
or ``None`` (answer normally).

Usage::

    with QuotaServer({"g00": 180, "g01": 180}, latency=0.08) as server:
        CognitoGroups(endpoint_url=server.url, region_name="us-east-1").iter_memberships(...)
        server.throttled, server.throttled_by_operation["ListGroups"], server.peak_per_second()
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .users import POOL as POOL  # the tests import the pool from here too
from .users import numbered_user, wire_json

_PREFIX = "AWSCognitoIdentityProviderService."

Fault = Callable[[int, str, Mapping[str, Any]], "str | tuple[int, str] | None"]


def members_of(group: str, count: int) -> list[str]:
    """The usernames of a generated group: ``<group>-u0000`` ...."""
    return [f"{group}-u{index:04d}" for index in range(count)]


class _Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class QuotaServer:
    """See the module's docstring. ``groups`` maps a group name to its members (or a count)."""

    def __init__(
        self,
        groups: Mapping[str, int | list[str]],
        *,
        latency: float = 0.0,
        rate: float | None = 30.0,
        burst: float = 5.0,
        pool_rate: float | None = 5.0,
        read_rate: float | None = 20.0,
        fault: Fault | None = None,
        hostile: bool = False,
        pool: str = POOL,
    ) -> None:
        self.groups = {
            name: members_of(name, members) if isinstance(members, int) else list(members)
            for name, members in groups.items()
        }
        self.latency = latency
        quotas = rate is not None
        self.bucket = _Bucket(rate, burst) if rate is not None else None  # UserList
        self.read_bucket = (  # UserPoolResourceRead, per account
            _Bucket(read_rate, burst) if quotas and read_rate is not None else None
        )
        self.pool_rate = pool_rate if quotas else None
        self.burst = burst
        self.pool_buckets: dict[str, _Bucket] = {}  # UserPoolResourceRead, per pool
        self.fault = fault
        self.hostile = hostile  # each user's ``name`` one of users.HOSTILE_VALUES
        self.pool = pool  # the one pool served (another id: ResourceNotFoundException)
        self.admitted: list[float] = []  # when each admitted request was admitted
        self.throttled = 0
        self.throttled_by_operation: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, int]] = {}
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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

    def memberships(self) -> list[tuple[str, str]]:
        """Every (group, username) the server holds."""
        return [(group, user) for group, users in self.groups.items() for user in users]

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

    def admit(self, operation: str, params: Mapping[str, Any]) -> bool:
        """Whether the request fits its category's buckets (taking their tokens if it does)."""
        if operation != "ListGroups":
            return self.bucket is None or self.bucket.admit()
        if self.pool_rate is not None:
            pool = str(params.get("UserPoolId"))
            with self._lock:
                bucket = self.pool_buckets.get(pool)
                if bucket is None:
                    bucket = self.pool_buckets[pool] = _Bucket(self.pool_rate, self.burst)
            if not bucket.admit():
                return False
        return self.read_bucket is None or self.read_bucket.admit()

    def _token(self, key: str, offset: int) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._tokens[token] = (key, offset)
        return token

    def _answer(self, operation: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        limit = params.get("Limit", 60)
        if not isinstance(limit, int) or not 1 <= limit <= 60:
            return 400, _error("InvalidParameterException", "Limit must be 1 to 60")
        if params.get("UserPoolId") != self.pool:
            return 400, _error("ResourceNotFoundException", "User pool does not exist.")
        if operation == "ListGroups":
            key, names, member = "", list(self.groups), "Groups"
        else:
            key, member = params.get("GroupName", ""), "Users"
            if key not in self.groups:
                return 400, _error("ResourceNotFoundException", "Group not found.")
            names = self.groups[key]
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
            items = [{"GroupName": names[i], "UserPoolId": self.pool, "Precedence": i,
                      "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9}
                     for i in range(offset, stop)]  # fmt: skip
        else:
            items = [numbered_user(i, names[i], hostile=self.hostile) for i in range(offset, stop)]
        body: dict[str, Any] = {member: items}
        if stop < len(names):
            body["NextToken"] = self._token(key, stop)
        return 200, body

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
                admitted = server.admit(operation, params)
                if admitted:
                    with server._lock:
                        server.admitted.append(time.monotonic())
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


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}
