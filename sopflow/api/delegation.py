"""Delegation endpoints: list mine, set one (for myself, or as HR admin for a colleague), cancel.
Same rules as the 我的代理 page; every rule lives in `sopflow.org.delegation_services`."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sopflow.org import delegation, delegation_services
from sopflow.org.access import get_employee_for
from sopflow.org.models import Delegation, User

router = Router(tags=["delegations"])


class DelegationOut(Schema):
    id: int
    company_id: int
    delegator_id: int
    delegate_id: int
    starts_on: date
    ends_on: date
    applies_to_all_templates: bool
    template_ids: list[int]
    reason: str
    created_by_id: int
    created_at: datetime
    cancelled_at: datetime | None


class DelegationIn(Schema):
    delegator_id: int | None = Field(None, description="委托人；不填为本人（人事管理员可填本公司员工）")
    delegate_id: int
    starts_on: date
    ends_on: date
    template_ids: list[int] | None = Field(None, description="指定模板；不填为全部模板")
    reason: str = Field("", max_length=200)


@router.get("", response=list[DelegationOut], summary="我的代理")
def list_mine(request: HttpRequest) -> list[Delegation]:
    """本人作为委托人或代理人的全部代理设置（含已取消、已结束的），按开始日期倒序。"""
    return list(delegation.delegations_of(_caller(request))[:500])


@router.post("", response={201: DelegationOut}, summary="设置代理")
def create(request: HttpRequest, payload: DelegationIn) -> tuple[int, Delegation]:
    """代理期间（含首尾两天）新产生的待办交给代理人；代理只传递一次，不会继续转交。"""
    actor = _caller(request)
    delegator = actor if payload.delegator_id is None else get_employee_for(actor, payload.delegator_id)
    created = delegation_services.create_delegation(
        actor=actor, delegator=delegator, delegate=get_employee_for(actor, payload.delegate_id),
        starts_on=payload.starts_on, ends_on=payload.ends_on, template_ids=payload.template_ids,
        reason=payload.reason,
    )
    return 201, created


@router.post("/{delegation_id}/cancel", response=DelegationOut, summary="取消代理")
def cancel(request: HttpRequest, delegation_id: int) -> Delegation:
    """委托人本人或人事管理员可以取消尚未结束的代理；已转交的待办不收回。"""
    return delegation_services.cancel_delegation(actor=_caller(request), delegation_id=delegation_id)


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined, no-any-return]  # set by api_auth
