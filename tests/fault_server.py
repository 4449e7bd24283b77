"""A fault-injecting Cognito ``ListUsersInGroup`` server on 127.0.0.1, for reliability tests.

It speaks the JSON 1.1 protocol of the one operation, serves a generated group of N users with
real paging (``Limit`` 1-60, opaque tokens), and follows a script of faults per request. It
records every request it received.

Usage::

    with FaultServer(users=200, script={2: Fault("error", "TooManyRequestsException")}) as server:
        CognitoGroups(endpoint_url=server.url, region_name="us-east-1").iter_users(...)
        server.requests  # what was received, in order

A script maps a request number (1-based, retries included) to a :class:`Fault`, or is a function
``(number, request) -> Fault | None``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from .servers import STOPS_QUICKLY
from .users import GROUP as GROUP  # the tests import the pool and group from here too
from .users import POOL as POOL
from .users import numbered_user, username, wire_json

TARGET = "AWSCognitoIdentityProviderService.ListUsersInGroup"
HTML_ERROR_PAGE = """<!DOCTYPE html>
<html><head><title>500 Internal Server Error</title></head>
<body><h1>Internal Server Error</h1>
<p>The proxy could not reach the upstream server.</p>
<hr><address>nginx</address></body></html>
"""

FaultKind = Literal[
    "error",  # an error response: code, HTTP status, message, reasonCode
    "close_before_headers",  # read the request, close the connection without answering
    "close_after_headers",  # send the status line and headers, then close
    "stall",  # wait `seconds` before answering normally
    "malformed",  # 200 with a body that is not JSON
    "truncated",  # 200 whose body stops half-way (Content-Length of the whole)
    "repeat_token",  # a normal page whose NextToken is the token that was sent
    "short",  # a page of `count` users (fewer than Limit), with a token to go on
    "extra_members",  # unknown members in the response and in each user
    "unknown_enums",  # UserStatus and DeliveryMedium values the model does not list
    "missing_fields",  # users with nothing but a Username
    "garbled_dates",  # users whose dates are not timestamps ("yesterday")
    "html_error",  # a proxy's HTML error page with HTTP `status` (no Cognito error body)
]


@dataclass(frozen=True)
class Fault:
    """What the server does to one request instead of (or on top of) answering normally."""

    kind: FaultKind
    code: str = "InternalErrorException"
    status: int = 400
    message: str = "injected fault"
    reason_code: str | None = None
    seconds: float = 0.0
    count: int = 1


@dataclass
class Request:
    """One request as received."""

    target: str | None
    params: dict[str, Any]


Script = Mapping[int, Fault] | Callable[[int, Request], "Fault | None"]


@dataclass
class FaultServer:
    """The server; a context manager that starts it on a free port and stops it."""

    users: int
    script: Script = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    #: Like a server that ignores Limit (cognito-local): every page has this many users.
    ignore_limit_with: int | None = None
    #: Seconds every answer waits before it is sent (a network's and a service's latency).
    latency: float = 0.0
    #: Usernames that replace generated ones, by user number (e.g. one very long name).
    names: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tokens: dict[str, int] = {}
        self._token_of: dict[int, str] = {}
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs=STOPS_QUICKLY, daemon=True
        )

    @property
    def url(self) -> str:
        """Where to send requests."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def usernames(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The usernames of the generated group, in order."""
        stop = self.users if stop is None else stop
        return [self.names.get(i, username(i)) for i in range(start, stop)]

    def token_for(self, offset: int) -> str:
        """The opaque token that starts a page at ``offset`` (the same one every time)."""
        with self._lock:
            if offset not in self._token_of:
                token = uuid.uuid4().hex + uuid.uuid4().hex
                self._token_of[offset] = token
                self._tokens[token] = offset
            return self._token_of[offset]

    @property
    def open_connections(self) -> int:
        """How many client connections are open now (a closed client leaves none)."""
        return self._server.open_connections

    def wait_until_no_connection_is_open(self, timeout: float = 10.0) -> bool:
        """Wait (up to a deadline that only catches a hang) for every connection to close."""
        return self._server.wait_until_idle(timeout)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- answering ---------------------------------------------------------------------

    def _fault_for(self, number: int, request: Request) -> Fault | None:
        if callable(self.script):
            return self.script(number, request)
        return self.script.get(number)

    def _page(self, params: Mapping[str, Any], fault: Fault | None) -> tuple[int, dict[str, Any]]:
        """The status and body of a normal answer (maybe bent by ``fault``)."""
        limit = params.get("Limit", 25)
        if not isinstance(limit, int) or not 1 <= limit <= 60:
            return 400, _error("InvalidParameterException", "Limit must be 1 to 60")
        sent = params.get("NextToken")
        with self._lock:
            offset = 0 if sent is None else self._tokens.get(sent)
        if offset is None:
            return 400, _error(
                "InvalidParameterException", "Invalid pagination token", "INVALID_TOKEN"
            )
        count = limit if self.ignore_limit_with is None else self.ignore_limit_with
        if fault and fault.kind == "short":
            count = min(fault.count, count)
        stop = min(offset + count, self.users)
        users = [numbered_user(i, self.names.get(i)) for i in range(offset, stop)]
        body: dict[str, Any] = {"Users": users}
        if stop < self.users:
            body["NextToken"] = self.token_for(stop)
        if fault is None:
            return 200, body
        if fault.kind == "repeat_token" and sent is not None:
            body["NextToken"] = sent
        elif fault.kind == "extra_members":
            body["SomethingNew"] = {"nested": [1, 2]}
            for user in users:
                user["LoginCount"] = 3
        elif fault.kind == "unknown_enums":
            for user in users:
                user["UserStatus"] = "BRAND_NEW_STATUS"
                user["MFAOptions"] = [{"DeliveryMedium": "CARRIER_PIGEON"}]
        elif fault.kind == "missing_fields":
            body["Users"] = [{"Username": user["Username"]} for user in users]
        elif fault.kind == "garbled_dates":
            for user in users:
                user["UserCreateDate"] = "yesterday"
        return 200, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body at once, no 40 ms ACK wait

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request(self.headers.get("X-Amz-Target"), json.loads(raw or b"{}"))
                with server._lock:
                    server.requests.append(request)
                    number = len(server.requests)
                fault = server._fault_for(number, request)
                if request.target != TARGET:
                    self._send(400, _error("UnknownOperationException", "not here"))
                    return
                kind = fault.kind if fault else None
                if server.latency:
                    server._stop.wait(server.latency)
                if kind == "close_before_headers":
                    self._drop()
                    return
                if kind == "stall":
                    server._stop.wait(fault.seconds if fault else 0)
                if fault is not None and kind == "html_error":
                    page = HTML_ERROR_PAGE.encode()
                    self._head(fault.status, len(page), content_type="text/html; charset=utf-8")
                    self.wfile.write(page)
                    return
                if fault is not None and kind == "error":
                    body = _error(fault.code, fault.message, fault.reason_code)
                    self._send(fault.status, body)
                    return
                status, body = server._page(request.params, fault)
                payload = wire_json(body)
                if kind == "malformed":
                    payload = payload[: len(payload) // 2]  # complete HTTP, broken JSON
                if kind == "close_after_headers":
                    self._head(status, len(payload))
                    self._drop()
                elif kind == "truncated":
                    self._head(status, len(payload))
                    self.wfile.write(payload[: len(payload) // 2])
                    self._drop()
                else:
                    self._head(status, len(payload))
                    self.wfile.write(payload)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = wire_json(body)
                self._head(status, len(payload))
                self.wfile.write(payload)

            def _head(
                self, status: int, length: int, content_type: str = "application/x-amz-json-1.1"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def _drop(self) -> None:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """Clients that gave up (timeouts) are expected here: no tracebacks on stderr for them.

    It also counts the connections open now, so that tests can see a client close its pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections = 0
        self._idle = threading.Condition()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self.open_connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._idle:
            self.open_connections -= 1
            self._idle.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self.open_connections == 0, timeout)

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore errors of connections the client already closed."""


def _error(code: str, message: str, reason_code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"__type": code, "message": message}
    if reason_code is not None:
        body["reasonCode"] = reason_code
    return body


def serve(users: int, latency: float) -> None:
    """Serve a group of ``users`` until standard input closes; the URL is the first line out."""
    with FaultServer(users=users, latency=latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":  # python -m tests.fault_server USERS [LATENCY]: for the benchmark
    serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
