"""我的代理 and 代理设置 pages: who sees what, what a post changes, how refusals look."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.org.delegation_services import create_delegation
from sopflow.org.models import Delegation, User
from sopflow.web.tests.html import text_of

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(delegate: User, **overrides: object) -> dict[str, object]:
    return {"delegate": delegate.pk, "starts_on": "2026-03-09", "ends_on": "2026-03-13",
            "scope": "all", "reason": "年假"} | overrides


def test_employee_sets_own_delegation_from_my_page(alice: User, carol: User) -> None:
    response = _client(alice).post(reverse("web:delegation-mine"), _form(carol))

    assert response.status_code == 302
    stored = Delegation.objects.get()
    assert (stored.delegator, stored.delegate, stored.starts_on, stored.ends_on, stored.created_by) == (
        alice, carol, date(2026, 3, 9), date(2026, 3, 13), alice)
    assert AuditEvent.objects.get(action="org.delegation.created").actor == alice


def test_my_page_lists_given_and_received(alice: User, bob: User, carol: User) -> None:
    create_delegation(actor=alice, delegator=alice, delegate=carol, starts_on=date(2026, 3, 2),
                      ends_on=date(2026, 3, 4))
    create_delegation(actor=bob, delegator=bob, delegate=alice, starts_on=date(2026, 3, 9),
                      ends_on=date(2026, 3, 10))

    response = _client(alice).get(reverse("web:delegation-mine"))

    assert response.status_code == 200
    given = text_of(response.content, "delegations-given")
    assert "冯静 2026-03-02 — 2026-03-04 全部模板 — 进行中 取消" in given
    received = text_of(response.content, "delegations-received")
    assert "李强 2026-03-09 — 2026-03-10 全部模板 — 未开始" in received
    assert "取消" not in received


def test_refused_delegation_shows_the_reason_and_changes_nothing(alice: User, carol: User) -> None:
    User.objects.filter(pk=carol.pk).update(is_active=False)

    response = _client(alice).post(reverse("web:delegation-mine"), _form(carol))

    assert response.status_code == 422
    assert "选择一个有效的选项" in text_of(response.content, "delegation-form")
    assert Delegation.objects.exists() is False


def test_overlap_is_shown_on_the_form(alice: User, bob: User, carol: User) -> None:
    create_delegation(actor=alice, delegator=alice, delegate=carol, starts_on=date(2026, 3, 9),
                      ends_on=date(2026, 3, 13))

    response = _client(alice).post(reverse("web:delegation-mine"), _form(bob, starts_on="2026-03-13",
                                                                           ends_on="2026-03-20"))

    assert response.status_code == 422
    assert "重叠" in text_of(response.content, "delegation-form")
    assert Delegation.objects.count() == 1


def test_some_templates_without_a_tick_is_refused(alice: User, carol: User) -> None:
    response = _client(alice).post(reverse("web:delegation-mine"), _form(carol, scope="some"))

    assert response.status_code == 422
    assert "请选择至少一个模板" in text_of(response.content, "delegation-form")
    assert Delegation.objects.exists() is False


def test_delegator_cancels_from_my_page(alice: User, carol: User) -> None:
    delegation = create_delegation(actor=alice, delegator=alice, delegate=carol,
                                   starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 4))

    response = _client(alice).post(reverse("web:delegation-cancel", args=[delegation.pk]))

    assert response.status_code == 302
    assert Delegation.objects.get().cancelled_by == alice


def test_delegate_cannot_cancel_and_nothing_changes(alice: User, carol: User) -> None:
    delegation = create_delegation(actor=alice, delegator=alice, delegate=carol,
                                   starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 4))

    _client(carol).post(reverse("web:delegation-cancel", args=[delegation.pk]))

    assert Delegation.objects.get().cancelled_at is None
    assert AuditEvent.objects.filter(action="org.delegation.cancelled").exists() is False


def test_outsider_gets_404_on_cancel(alice: User, carol: User, dave: User) -> None:
    delegation = create_delegation(actor=alice, delegator=alice, delegate=carol,
                                   starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 4))

    response = _client(dave).post(reverse("web:delegation-cancel", args=[delegation.pk]))

    assert response.status_code == 404
    assert Delegation.objects.get().cancelled_at is None


def test_hr_admin_sets_delegation_for_an_employee(hr_admin: User, alice: User, carol: User) -> None:
    response = _client(hr_admin).post(reverse("web:delegation-manage"),
                                      _form(carol, delegator=alice.pk))

    assert response.status_code == 302
    stored = Delegation.objects.get()
    assert (stored.delegator, stored.delegate, stored.created_by) == (alice, carol, hr_admin)
    page = _client(hr_admin).get(reverse("web:delegation-manage"))
    assert "张敏 冯静 2026-03-09 — 2026-03-13" in text_of(page.content, "delegations-managed")


@pytest.mark.parametrize("method", ["get", "post"])
def test_employee_cannot_open_the_hr_page(method: str, alice: User, bob: User, carol: User) -> None:
    response = getattr(_client(alice), method)(reverse("web:delegation-manage"),
                                               _form(carol, delegator=bob.pk))

    assert response.status_code == 404
    assert Delegation.objects.exists() is False


def test_my_page_form_has_no_delegator_field(alice: User) -> None:
    response = _client(alice).get(reverse("web:delegation-mine"))

    assert b'name="delegator"' not in response.content
    assert b'name="delegate"' in response.content
