"""The caller's own profile and tokens."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from sopflow.accounts import services as account_services

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
def me(request: HttpRequest) -> object:
    return request.auth


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
def my_tokens(request: HttpRequest) -> object:
    return account_services.list_tokens(request.auth)  # type: ignore[arg-type]  # auth is a User


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="撤销令牌")
def revoke(request: HttpRequest, token_id: int) -> object:
    return account_services.revoke_token(actor=request.auth, token_id=token_id)  # type: ignore[arg-type]  # auth is a User
