import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from conftest import login_in_browser
from sopflow.audit.models import AuditEvent
from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.org import services as org_services
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.tests.builders import TEST_PASSWORD, build_company, build_user, grant


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response: Any) -> list[AuditEvent]:
    return [row.event for row in response.context["rows"]]


def test_audit_page_lists_rows_with_readable_changes_when_auditor(
    auditor: User, hr_admin: User, alice: User
) -> None:
    org_services.update_employee(actor=hr_admin, employee=alice, changes={"title": "主管"})
    client = _client(auditor)

    response = client.get("/audit/")

    body = response.content.decode()
    assert response.status_code == 200
    assert [event.action for event in _rows(response)] == [
        "accounts.session.logged_in",
        "org.employee.updated",
    ]
    assert "修改员工" in body
    assert "职务：</span>（空） → 主管" in body
    assert 'data-nav="audit"' in body


def test_audit_page_is_403_and_hidden_from_nav_when_not_auditor(alice: User) -> None:
    client = _client(alice)

    response = client.get("/audit/")
    home = client.get("/")

    assert response.status_code == 403
    assert 'data-nav="audit"' not in home.content.decode()
    assert client.get("/audit/export.csv").status_code == 403
    assert client.post("/audit/verify/").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export.downloaded").exists()


def test_company_auditor_sees_only_their_company_when_others_have_events(
    auditor: User, hr_admin: User, alice: User
) -> None:
    elsewhere = build_company(name="别家", code="elsewhere")
    outsider_admin = build_user(elsewhere, employee_no="Y001", name="别家人事")
    grant(outsider_admin, RoleAssignment.Role.HR_ADMIN, company=elsewhere)
    org_services.create_position(actor=outsider_admin, company=elsewhere, name="外岗", code="x")
    org_services.create_position(actor=hr_admin, company=alice.company, name="内岗", code="y")
    theirs = AuditEvent.objects.get(action="org.position.created", company_id=elsewhere.pk)

    response = _client(auditor).get("/audit/?action=org.position.")
    detail = _client(auditor).get(f"/audit/{theirs.pk}/")

    assert [event.object_repr for event in _rows(response)] == ["内岗"]
    assert detail.status_code == 404


def test_global_auditor_sees_every_company(company: Company, hr_admin: User) -> None:
    global_auditor = build_user(company, employee_no="G001", name="总部审计")
    grant(global_auditor, RoleAssignment.Role.AUDITOR)
    elsewhere = build_company(name="别家", code="elsewhere")
    org_services.create_position(actor=None, company=elsewhere, name="外岗", code="x")
    org_services.create_position(actor=hr_admin, company=company, name="内岗", code="y")

    response = _client(global_auditor).get("/audit/?action=org.position.created")

    assert [event.object_repr for event in _rows(response)] == ["内岗", "外岗"]


def test_filters_narrow_rows_by_action_actor_text_and_dates(
    auditor: User, hr_admin: User, admin: User, company: Company
) -> None:
    with clock.frozen(datetime(2025, 3, 1, 2, 0, tzinfo=UTC)):
        org_services.create_position(actor=hr_admin, company=company, name="出纳", code="cashier")
    with clock.frozen(datetime(2025, 3, 5, 2, 0, tzinfo=UTC)):
        org_services.create_position(actor=admin, company=company, name="会计", code="accountant")
        org_services.create_department(actor=hr_admin, company=company, name="采购部", code="buy")
    client = _client(auditor)

    by_action = client.get("/audit/?action=org.position.")
    by_actor = client.get(f"/audit/?action=org.&actor={hr_admin.pk}")
    by_text = client.get("/audit/?q=采购")
    by_dates = client.get("/audit/?action=org.&since=2025-03-01&until=2025-03-02")

    assert [event.object_repr for event in _rows(by_action)] == ["会计", "出纳"]
    assert [event.object_repr for event in _rows(by_actor)] == ["采购部", "出纳"]
    assert [event.object_repr for event in _rows(by_text)] == ["采购部"]
    assert [event.object_repr for event in _rows(by_dates)] == ["出纳"]


def test_action_dropdown_offers_prefixes_and_known_verbs(auditor: User) -> None:
    response = _client(auditor).get("/audit/")

    choices = dict(response.context["form"].fields["action"].choices)
    assert choices["org."] == "组织（org.）"
    assert choices["org.employee."] == "员工（org.employee.）"
    assert choices["accounts.session.login_failed"] == "登录失败（accounts.session.login_failed）"


def test_invalid_filter_is_ignored_with_a_message_when_date_is_garbage(auditor: User) -> None:
    response = _client(auditor).get("/audit/?since=not-a-date")

    assert response.status_code == 200
    assert "有误的筛选条件已被忽略" in response.content.decode()


def test_rows_are_paginated_fifty_per_page(auditor: User) -> None:
    for number in range(55):
        with transaction.atomic():
            record(
                actor=None,
                action="test.thing.happened",
                company_id=auditor.company_id,
                object_repr=f"第{number}条",
            )
    client = _client(auditor)

    first = client.get("/audit/?action=test.")
    second = client.get("/audit/?action=test.&page=2")

    assert len(_rows(first)) == 50
    assert [event.object_repr for event in _rows(second)] == [f"第{n}条" for n in range(4, -1, -1)]
    assert 'href="?action=test.&amp;page=2"' in first.content.decode()


def test_htmx_filter_returns_only_the_results_partial(auditor: User) -> None:
    response = _client(auditor).get("/audit/?action=org.", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'data-testid="audit-table"' in body
    assert "<html" not in body


def test_detail_shows_changes_and_hashes_when_auditor_opens_an_event(
    auditor: User, hr_admin: User, alice: User
) -> None:
    org_services.set_employee_active(actor=hr_admin, employee=alice, is_active=False)
    event = AuditEvent.objects.get(action="org.employee.disabled")

    response = _client(auditor).get(f"/audit/{event.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "停用员工" in body
    assert "启用</th><td>是 → 否" in body
    assert event.hash in body


def test_verify_button_reports_intact_chain(auditor: User, hr_admin: User) -> None:
    org_services.create_position(actor=hr_admin, company=hr_admin.company, name="出纳", code="c")
    client = _client(auditor)
    total = AuditEvent.objects.count()

    response = client.post("/audit/verify/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert f"审计链完好：共校验 {total} 条记录。" in response.content.decode()


def test_verify_button_names_the_broken_row_when_tampered(auditor: User, hr_admin: User) -> None:
    org_services.create_position(actor=hr_admin, company=hr_admin.company, name="出纳", code="c")
    event = AuditEvent.objects.get(action="org.position.created")
    AuditEvent.objects.filter(pk=event.pk).update(changes={"name": "篡改"})

    response = _client(auditor).post("/audit/verify/")

    body = response.content.decode()
    assert 'data-testid="verify-broken"' in body
    assert f"第 {event.pk} 号记录" in body


def test_export_is_utf8_bom_csv_of_filtered_rows_and_is_itself_audited(
    auditor: User, hr_admin: User, company: Company
) -> None:
    org_services.create_position(actor=hr_admin, company=company, name="出纳", code="cashier")
    org_services.create_department(actor=hr_admin, company=company, name="采购部", code="buy")

    response = _client(auditor).get("/audit/export.csv?action=org.position.")

    content = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["ID", "时间", "操作人", "操作"]
    assert [(row[3], row[7], row[8]) for row in rows[1:]] == [
        ("新建岗位", "出纳", "名称：出纳；编码：cashier")
    ]
    export = AuditEvent.objects.get(action="audit.export.downloaded")
    assert export.actor == auditor
    assert export.changes == {"filters": {"action": "org.position."}, "rows": 1}


@pytest.mark.browser
def test_auditor_filters_by_org_prefix_in_browser(
    page: Any, auditor: User, hr_admin: User, company: Company
) -> None:
    org_services.create_position(actor=hr_admin, company=company, name="出纳", code="cashier")
    login_in_browser(page, "U001", TEST_PASSWORD)

    page.goto("/audit/")
    page.select_option("[data-testid=audit-action]", "org.")
    page.click("[data-testid=audit-search]")
    page.wait_for_url("**/audit/?*action=org.*")

    actions = page.locator("[data-testid=audit-row]").evaluate_all(
        "rows => rows.map(row => row.dataset.action)"
    )
    assert actions == ["org.position.created"]
    page.click("[data-testid=audit-verify]")
    assert page.locator("[data-testid=verify-ok]").inner_text().startswith("审计链完好")
