"""The caller's own profile and API tokens.

Tokens are created only in the web UI (设置 → API 令牌): a token must not be able to mint
further tokens, so a leaked one can be contained by revoking it.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from sopflow.accounts import services as account_services
from sopflow.accounts.models import ApiToken
from sopflow.org.models import User

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    employee_no: str
    name: str
    company_id: int | None
    department_id: int | None
    position_id: int | None
    language: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> User:
    """令牌或会话对应的当前用户。"""
    return _caller(request)


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
def my_tokens(request: HttpRequest) -> list[ApiToken]:
    """列出自己的全部令牌（含已撤销的）；不返回令牌明文或哈希。"""
    return account_services.list_tokens(_caller(request))


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="撤销令牌")
def revoke(request: HttpRequest, token_id: int) -> ApiToken:
    """撤销自己的一个令牌，立即失效；重复撤销不报错。"""
    return account_services.revoke_token(actor=_caller(request), token_id=token_id)


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined, no-any-return]  # set by api_auth
