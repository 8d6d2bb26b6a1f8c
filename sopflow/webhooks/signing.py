"""Standard Webhooks signing (https://www.standardwebhooks.com): headers `webhook-id`,
`webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
`"{id}.{timestamp}.{body}"`, keyed with the base64-decoded part of the `whsec_…` secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, received: dict[str, str], body: str) -> bool:
    """What a receiver does; used by tests and documented for integrators."""
    lowered = {key.lower(): value for key, value in received.items()}
    expected = sign(secret, lowered["webhook-id"], int(lowered["webhook-timestamp"]), body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in lowered["webhook-signature"].split())
