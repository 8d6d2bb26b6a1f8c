"""POST /api/v1/org/sync/employees: permissions, counts, all-or-nothing with per-row errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sopflow.accounts.services import create_token
from sopflow.audit.models import AuditEvent
from sopflow.org.models import Department, User

URL = "/api/v1/org/sync/employees"


def _post(user: User | None, payload: Any, query: str = "") -> Any:
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {create_token(actor=user, name='同步').plaintext}"
    return Client().post(URL + query, data=json.dumps(payload), content_type="application/json",
                         headers=headers)


def _org_events() -> int:
    return AuditEvent.objects.filter(action__startswith="org.").count()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("employee", 403), ("hr_admin", 200),
                                             ("admin", 200)])
def test_only_org_admins_may_sync(who: str, status: int, alice: User, hr_admin: User, admin: User,
                                  marketing: Department) -> None:
    caller = {"anonymous": None, "employee": alice, "hr_admin": hr_admin, "admin": admin}[who]
    users, events = User.objects.count(), _org_events()

    response = _post(caller, [{"employee_no": "N1", "name": "周婷", "department_code": "marketing"}])

    assert response.status_code == status
    if status == 200:
        assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
        assert User.objects.get(employee_no="N1").department == marketing
    else:
        assert User.objects.count() == users
        assert _org_events() == events


def test_sync_counts_created_updated_and_unchanged(hr_admin: User, alice: User, bob: User) -> None:
    payload = [{"employee_no": "A001", "title": "高级市场专员", "hired_on": "2021-04-01"},
               {"employee_no": "B001", "name": "李强"},
               {"employee_no": "N1", "name": "周婷", "manager_employee_no": "B001",
                "secondary_department_codes": ["marketing"], "is_active": True}]

    response = _post(hr_admin, payload)

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 1}
    alice.refresh_from_db()
    assert (alice.title, str(alice.hired_on), alice.phone) == ("高级市场专员", "2021-04-01", "13800001111")
    assert AuditEvent.objects.get(action="org.import.applied").changes["source"] == "api"


def test_any_bad_row_rejects_the_whole_batch_with_every_error(hr_admin: User, alice: User) -> None:
    payload = [{"employee_no": "N1", "name": "周婷"},
               {"employee_no": "N2", "name": "吴倩", "department_code": "xx"},
               {"employee_no": "N3", "name": "郑爽", "phone": "13800001111"},
               {"employee_no": "A001", "is_active": False}]
    users, events = User.objects.count(), _org_events()

    response = _post(hr_admin, payload)

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed", "message": "数据有误，未做任何修改（共 2 处错误）",
        "details": [{"row": 2, "field": "department_code", "message": "部门编码“xx”不存在"},
                    {"row": 3, "field": "phone", "message": "手机号“13800001111”已被工号 A001 使用"}]}
    assert User.objects.count() == users
    assert User.objects.get(employee_no="A001").is_active is True
    assert _org_events() == events


def test_malformed_payload_is_a_validation_error(hr_admin: User) -> None:
    response = _post(hr_admin, [{"name": "没有工号"}])

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert User.objects.filter(name="没有工号").exists() is False


def test_sync_into_an_invisible_company_is_not_found(hr_admin: User) -> None:
    from sopflow.org.tests.builders import build_company

    other = build_company()

    response = _post(hr_admin, [{"employee_no": "N1", "name": "周婷"}], f"?company_id={other.pk}")

    assert response.status_code == 404
    assert User.objects.filter(employee_no="N1").exists() is False
