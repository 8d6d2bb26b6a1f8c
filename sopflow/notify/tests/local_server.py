"""A real HTTP server on 127.0.0.1 (in a thread) that records requests and answers with scripted
status codes. Used for robot and webhook tests; nothing leaves the machine."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:  # type: ignore[type-arg]  # test helper
        return json.loads(self.body)


@dataclass
class LocalServer:
    base_url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    answer: bytes = b'{"errcode": 0, "errmsg": "ok"}'


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    state = LocalServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                           self.rfile.read(length)))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
