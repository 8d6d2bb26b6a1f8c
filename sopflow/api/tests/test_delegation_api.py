"""Delegation API: list mine, create (self / HR for others), cancel; the permission matrix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from sopflow.api.tests.conftest import bearer_client
from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.org.delegation_services import create_delegation
from sopflow.org.models import Delegation, User

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
URL = "/api/v1/delegations"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def test_employee_creates_own_delegation_and_lists_it(alice: User, carol: User) -> None:
    client = bearer_client(alice)

    created = client.post(URL, {"delegate_id": carol.pk, "starts_on": "2026-03-09",
                                "ends_on": "2026-03-13", "reason": "年假"},
                          content_type="application/json")
    listed = client.get(URL)

    assert created.status_code == 201
    body = created.json()
    assert (body["delegator_id"], body["delegate_id"], body["applies_to_all_templates"],
            body["template_ids"], body["cancelled_at"]) == (alice.pk, carol.pk, True, [], None)
    assert [row["id"] for row in listed.json()] == [body["id"]]


@pytest.mark.parametrize(("case", "caller", "status"), [
    ("anonymous", None, 401),
    ("employee for a colleague", "bob", 403),
    ("outsider of another group", "stranger", 404),
    ("hr admin", "hr_admin", 201),
])
def test_create_for_someone_else_permission_matrix(
    case: str, caller: str | None, status: int, request: pytest.FixtureRequest,
    alice: User, carol: User,
) -> None:
    from django.test import Client

    client = Client() if caller is None else bearer_client(request.getfixturevalue(caller))
    before = AuditEvent.objects.filter(action="org.delegation.created").count()

    response = client.post(URL, {"delegator_id": alice.pk, "delegate_id": carol.pk,
                                 "starts_on": "2026-03-09", "ends_on": "2026-03-13"},
                           content_type="application/json")

    assert response.status_code == status
    created = AuditEvent.objects.filter(action="org.delegation.created").count() - before
    assert (Delegation.objects.count(), created) == ((1, 1) if status == 201 else (0, 0))


def test_overlap_answers_409_with_a_message(alice: User, bob: User, carol: User) -> None:
    create_delegation(actor=alice, delegator=alice, delegate=carol, starts_on=date(2026, 3, 9),
                      ends_on=date(2026, 3, 13))

    response = bearer_client(alice).post(URL, {"delegate_id": bob.pk, "starts_on": "2026-03-12",
                                               "ends_on": "2026-03-20"},
                                         content_type="application/json")

    assert response.status_code == 409
    assert "重叠" in response.json()["message"]
    assert Delegation.objects.count() == 1


def test_inactive_delegate_answers_422(alice: User, carol: User) -> None:
    User.objects.filter(pk=carol.pk).update(is_active=False)

    response = bearer_client(alice).post(URL, {"delegate_id": carol.pk, "starts_on": "2026-03-09",
                                               "ends_on": "2026-03-13"},
                                         content_type="application/json")

    assert (response.status_code, response.json()["field"]) == (422, "delegate")
    assert Delegation.objects.exists() is False


@pytest.mark.parametrize(("case", "caller", "status"), [
    ("delegate", "carol", 403),
    ("outsider", "dave", 404),
    ("hr admin", "hr_admin", 200),
    ("delegator", "alice", 200),
])
def test_cancel_permission_matrix(case: str, caller: str, status: int,
                                  request: pytest.FixtureRequest, alice: User, carol: User) -> None:
    delegation = create_delegation(actor=alice, delegator=alice, delegate=carol,
                                   starts_on=date(2026, 3, 9), ends_on=date(2026, 3, 13))
    user = request.getfixturevalue(caller)

    response = bearer_client(user).post(f"{URL}/{delegation.pk}/cancel")

    assert response.status_code == status
    stored = Delegation.objects.get()
    assert stored.cancelled_by == (user if status == 200 else None)
