"""API token lifecycle: create (secret shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import NotFound, ValidationFailed
from sopflow.org.models import User

from .models import ApiToken

TOKEN_PREFIX = "sop_"  # noqa: S105  (a public marker, not a secret)
MAX_ACTIVE_TOKENS = 20
NAME_MAX_LENGTH = 60


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token and its plaintext, which is never stored and never shown again."""

    token: ApiToken
    plaintext: str


def create_token(*, actor: User, name: str, expires_in_days: int | None = None) -> IssuedToken:
    """Issue a token for `actor`. The plaintext exists only in the return value."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(gettext("请填写令牌名称"), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(gettext("令牌名称最多 %(limit)s 个字") % {"limit": NAME_MAX_LENGTH}, field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationFailed(gettext("有效期须在 1 到 3650 天之间"), field="expires_in_days")
    with transaction.atomic():
        # Lock the owner's row so two concurrent creations cannot both pass the limit.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise ValidationFailed(gettext("每人最多 %(limit)s 个有效令牌，请先撤销不用的令牌") % {"limit": MAX_ACTIVE_TOKENS})
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        now = clock.now()
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=prefix,
            secret_hash=_hash(secret),
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        record(
            actor=actor,
            action="accounts.token.created",
            obj=token,
            changes={"name": name, "prefix": prefix, "expires_at": token.expires_at},
        )
    return IssuedToken(token, f"{TOKEN_PREFIX}{prefix}_{secret}")


def revoke_token(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens. Revoking twice is a no-op."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is None:
            raise NotFound(gettext("令牌不存在"))
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            record(
                actor=actor,
                action="accounts.token.revoked",
                obj=token,
                changes={"prefix": token.prefix},
            )
    return token


def authenticate_token(plaintext: str, *, now: datetime | None = None) -> User | None:
    """The active owner of a valid token, or None. Constant-time comparison of the hash."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = plaintext[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = now or clock.now()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Throttled bookkeeping: at most one write per token per five minutes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user.api_token_id = token.pk  # type: ignore[attr-defined]  # used for per-token throttling
    return token.user


def list_tokens(user: User) -> list[ApiToken]:
    """All of the user's tokens, newest first, revoked ones included."""
    return list(ApiToken.objects.filter(user=user).order_by("-pk"))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
