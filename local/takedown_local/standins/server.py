"""A werkzeug server on loopback in a background thread: what every stand-in runs on."""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from collections import deque
from types import TracebackType
from typing import Any, Self, override

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

_HOST = "127.0.0.1"
_SHUTDOWN_POLL_SECONDS = 0.02  # stop() waits up to this long: short, so test teardown is instant
logger = logging.getLogger(__name__)


class _QuietRequestHandler(WSGIRequestHandler):
    """werkzeug prints every request to stderr by default; stand-ins log them at DEBUG instead."""

    @override
    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s %s", type, message % args)


class LoopbackServer(ABC):
    """Serves `handle` on 127.0.0.1 from a thread; port 0 picks a free port.

    Use as a context manager, or call start() and stop(). `url` is known once started.
    """

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()  # guards the subclass's state across request threads

    @abstractmethod
    def handle(self, request: Request) -> Response:
        """Answer one request (called on a server thread)."""

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{_HOST}:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = make_server(
            _HOST, self._port, Request.application(self.handle), threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, as the real services send them."""
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class FaultScript[F]:
    """Faults a stand-in plays on its next requests, in order, each `times` times.

    Not locked itself: stand-ins call it under their own lock.
    """

    def __init__(self) -> None:
        self._queue: deque[tuple[F, int]] = deque()

    def add(self, fault: F, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._queue.append((fault, times))

    def take(self) -> F | None:
        """The fault for the request now arriving, or None to answer it normally."""
        if not self._queue:
            return None
        fault, times = self._queue.popleft()
        if times > 1:
            self._queue.appendleft((fault, times - 1))
        return fault

    def clear(self) -> None:
        self._queue.clear()
