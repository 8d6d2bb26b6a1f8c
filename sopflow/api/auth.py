"""API authentication: personal access tokens (Bearer) or the browser session (with CSRF).

Also the guard for the docs page and the OpenAPI schema (signed-in session or a valid token),
and the per-caller throttle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import SimpleRateThrottle

from sopflow.accounts.services import authenticate_token
from sopflow.core.errors import Forbidden
from sopflow.org.models import User


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sop_…`. Revoked, expired or disabled-owner tokens get 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        if user.language:  # the middleware saw an anonymous request; answer in the owner's language
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user


class ActiveSessionAuth(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token.

    Without a signed-in session this scheme does not apply at all, so a bad token on a POST gets
    401 (not a CSRF 403); with one, a missing or wrong CSRF token is 403 `csrf_failed`.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request: HttpRequest) -> str | None:
        try:
            return super()._get_key(request)
        except HttpError as error:
            raise Forbidden(gettext("CSRF 校验失败：请刷新页面后重试"), code="csrf_failed") from error

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and getattr(user, "is_active", False):
            return user
        return None


class PerCallerThrottle(SimpleRateThrottle):
    """Limits requests per API token (or per session user) to API_THROTTLE_RATE.

    The rate is read on every request so tests (and operators) can change the setting.
    """

    scope = "caller"

    def __init__(self) -> None:
        super().__init__(settings.API_THROTTLE_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        if self.rate != settings.API_THROTTLE_RATE:
            self.rate = settings.API_THROTTLE_RATE
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        token_id = getattr(user, "api_token_id", None)
        if token_id:
            ident = f"token:{token_id}"
        else:
            ident = f"user:{getattr(user, 'pk', None) or self.get_ident(request)}"
        return f"sopflow-throttle-{ident}"


api_auth = [TokenAuth(), ActiveSessionAuth()]


def caller_of(request: HttpRequest) -> User | None:
    """The active user behind a session or a Bearer token, or None."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_active:
        return user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return authenticate_token(token.strip())
    return None


def docs_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Docs page and OpenAPI schema need a signed-in user: the page redirects to the login page,
    the schema (fetched by tools) also accepts a token and answers 401 JSON otherwise."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = caller_of(request)
        if user is not None:
            request.user = user
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse(
                {"code": "unauthenticated", "message": gettext("未登录或令牌无效")}, status=401
            )
        return redirect_to_login(request.get_full_path())

    return login_not_required(guarded)
