"""`Idempotency-Key` for POSTs: the same key with the same request answers the stored response
and has no second effect; the same key with a different request is refused (422).

The key row is inserted first, in the same transaction as the effect: a concurrent duplicate
blocks on the unique index until the first commits, then fails the insert and reads the stored
response. A refused command (a DomainError) rolls the key back, so a retry may succeed later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from sopflow.core.clock import clock
from sopflow.core.errors import ValidationFailed
from sopflow.org.models import User

from .models import IdempotencyKey


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def run_once(*, user: User, key: str | None, request_fingerprint: str,
             call: Callable[[], Any]) -> Any:
    """`call()` once per (user, key); its JSON-able result is stored and replayed."""
    if not key:
        return call()
    if len(key) > 200:
        raise ValidationFailed(gettext("Idempotency-Key 过长"), field="Idempotency-Key")
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user=user, key=key,
                                                fingerprint=request_fingerprint,
                                                created_at=clock.now())
            result = call()
            row.response = json.loads(json.dumps(result, ensure_ascii=False, default=str))
            row.save(update_fields=["response"])
            return result
    except IntegrityError:
        pass
    stored = IdempotencyKey.objects.get(user=user, key=key)
    if stored.fingerprint != request_fingerprint:
        raise ValidationFailed(gettext("该 Idempotency-Key 已用于另一个请求"), code="idempotency_mismatch",
                               field="Idempotency-Key")
    return stored.response
