"""API authentication: personal access tokens (Bearer) or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import SimpleRateThrottle

from sopflow.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sop_…`. Revoked, expired or disabled-owner tokens get 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (ninja checks it)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and getattr(user, "is_active", False):
            return user
        return None


class PerCallerThrottle(SimpleRateThrottle):
    """Limits requests per API token (or per session user) to API_THROTTLE_RATE."""

    scope = "caller"

    def __init__(self) -> None:
        super().__init__(settings.API_THROTTLE_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        token_id = getattr(user, "api_token_id", None)
        ident = f"token:{token_id}" if token_id else f"user:{getattr(user, 'pk', None) or self.get_ident(request)}"
        return f"sopflow-throttle-{ident}"


api_auth = [TokenAuth(), ActiveSessionAuth()]
