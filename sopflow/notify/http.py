"""The one place that makes outbound HTTP calls (robots, webhooks). Tests point it at 127.0.0.1."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Response:
    status: int | None  # None when no HTTP answer came back (DNS, refused, timeout)
    text: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body`; never raises for network or HTTP errors, they come back in the Response."""
    if not url.startswith(("http://", "https://")):
        return Response(None, "", f"unsupported URL scheme: {url[:30]}")
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310  (scheme checked)
                                     headers={"User-Agent": "sopflow-webhook/1"} | headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return Response(answer.status, answer.read(2000).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(2000).decode("utf-8", "replace"), f"HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return Response(None, "", str(getattr(error, "reason", error))[:500])
