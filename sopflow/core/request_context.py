"""Who is calling from where: IP and user agent of the current request, for audit rows.

Set by `RequestContextMiddleware` (web and API) and by `as_system(...)` in commands and jobs.
Services never read the request; the audit recorder reads this context. See docs/decisions/0004.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    channel: str = "system"  # web | api | system


_SYSTEM = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("sopflow_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _SYSTEM


@contextmanager
def using(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
