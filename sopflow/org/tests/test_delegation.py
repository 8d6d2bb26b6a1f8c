"""Delegation: the resolver (dates, templates, one hop) and the set/cancel use cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sopflow.form_templates.tests.builders import build_template
from sopflow.org.delegation import Resolution, resolve_assignee, resolve_assignees
from sopflow.org.delegation_services import cancel_delegation, create_delegation
from sopflow.org.models import Company, Delegation, User
from sopflow.org.tests.builders import build_company, build_user

# 2026-03-02 10:00 in Shanghai (a Monday).
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _delegate(actor: User, delegator: User, delegate: User, *, starts_on: date = TODAY,
              ends_on: date = date(2026, 3, 6), template_ids: list[int] | None = None) -> Delegation:
    return create_delegation(actor=actor, delegator=delegator, delegate=delegate,
                             starts_on=starts_on, ends_on=ends_on, template_ids=template_ids,
                             reason="出差")


# --- resolver --------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "at", "expected_delegated"), [
    ("day before the range", date(2026, 3, 9), False),
    ("first day", date(2026, 3, 10), True),
    ("middle", date(2026, 3, 12), True),
    ("last day", date(2026, 3, 14), True),
    ("day after the range", date(2026, 3, 15), False),
])
def test_task_goes_to_delegate_only_inside_the_inclusive_range(
    case: str, at: date, expected_delegated: bool, alice: User, carol: User
) -> None:
    delegation = _delegate(alice, alice, carol, starts_on=date(2026, 3, 10),
                           ends_on=date(2026, 3, 14))

    resolution = resolve_assignee(user_id=alice.pk, template_id=None, at=at)

    expected = (Resolution(carol.pk, alice.pk, delegation.pk) if expected_delegated
                else Resolution(alice.pk))
    assert resolution == expected


def test_template_scope_limits_which_tasks_are_delegated(
    company: Company, alice: User, carol: User
) -> None:
    expense = build_template(company, publish=False)
    leave = build_template(company, publish=False)
    _delegate(alice, alice, carol, template_ids=[expense.pk])

    assert resolve_assignee(user_id=alice.pk, template_id=expense.pk, at=TODAY).assignee_id == carol.pk
    assert resolve_assignee(user_id=alice.pk, template_id=leave.pk, at=TODAY).assignee_id == alice.pk
    assert resolve_assignee(user_id=alice.pk, template_id=None, at=TODAY).assignee_id == alice.pk


def test_all_templates_delegation_covers_any_template_and_none(
    company: Company, alice: User, carol: User
) -> None:
    template = build_template(company, publish=False)
    _delegate(alice, alice, carol)

    assert resolve_assignee(user_id=alice.pk, template_id=template.pk, at=TODAY).assignee_id == carol.pk
    assert resolve_assignee(user_id=alice.pk, template_id=None, at=TODAY).assignee_id == carol.pk


def test_chain_stops_after_one_hop(alice: User, bob: User, carol: User) -> None:
    first = _delegate(alice, alice, bob)
    _delegate(bob, bob, carol)

    resolved = resolve_assignees(user_ids=[alice.pk, bob.pk], template_id=None, at=TODAY)

    assert resolved == {alice.pk: Resolution(bob.pk, alice.pk, first.pk),
                        bob.pk: Resolution(carol.pk, bob.pk, resolved[bob.pk].delegation_id)}


def test_cancelled_delegation_no_longer_redirects(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)

    cancel_delegation(actor=alice, delegation_id=delegation.pk)

    assert resolve_assignee(user_id=alice.pk, template_id=None, at=TODAY) == Resolution(alice.pk)


def test_delegate_disabled_later_leaves_task_with_original_person(alice: User, carol: User) -> None:
    _delegate(alice, alice, carol)
    User.objects.filter(pk=carol.pk).update(is_active=False)

    assert resolve_assignee(user_id=alice.pk, template_id=None, at=TODAY) == Resolution(alice.pk)


def test_resolver_answers_in_one_query(
    alice: User, bob: User, carol: User, django_assert_num_queries: object
) -> None:
    _delegate(alice, alice, carol)

    with django_assert_num_queries(1):  # type: ignore[operator]  # pytest-django fixture
        resolve_assignees(user_ids=[alice.pk, bob.pk], template_id=None, at=TODAY)


# --- create ----------------------------------------------------------------------------------


def test_employee_sets_own_delegation_with_audit_row(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)

    stored = Delegation.objects.get()
    assert (stored.pk, stored.delegator, stored.delegate, stored.created_by) == (
        delegation.pk, alice, carol, alice)
    assert stored.applies_to_all_templates is True
    event = AuditEvent.objects.get(action="org.delegation.created")
    assert (event.actor, event.object_id, event.changes["delegate"]) == (
        alice, str(delegation.pk), carol.pk)


def test_hr_admin_sets_delegation_for_a_colleague(hr_admin: User, alice: User, carol: User) -> None:
    delegation = _delegate(hr_admin, alice, carol)

    assert (delegation.delegator, delegation.created_by) == (alice, hr_admin)
    assert AuditEvent.objects.get(action="org.delegation.created").actor == hr_admin


def test_employee_cannot_set_delegation_for_someone_else(alice: User, bob: User, carol: User) -> None:
    with pytest.raises(Forbidden):
        _delegate(alice, bob, carol)

    assert Delegation.objects.exists() is False
    assert _events("org.delegation.created") == 0


def test_hr_admin_of_another_company_cannot_set_delegation(alice: User, carol: User) -> None:
    other = build_company(name="别家公司", code="elsewhere")
    foreign_hr = build_user(other, employee_no="Z001")
    from sopflow.org.models import RoleAssignment
    from sopflow.org.tests.builders import grant

    grant(foreign_hr, RoleAssignment.Role.HR_ADMIN, company=other)

    with pytest.raises(Forbidden):
        _delegate(foreign_hr, alice, carol)

    assert Delegation.objects.exists() is False


@pytest.mark.parametrize("case", ["inactive", "other company", "self"])
def test_invalid_delegate_is_refused_and_nothing_changes(case: str, alice: User, carol: User) -> None:
    if case == "inactive":
        User.objects.filter(pk=carol.pk).update(is_active=False)
        carol.refresh_from_db()
        delegate = carol
    elif case == "other company":
        delegate = build_user(build_company(), employee_no="Y001")
    else:
        delegate = alice

    with pytest.raises(ValidationFailed) as refusal:
        _delegate(alice, alice, delegate)

    assert refusal.value.field == "delegate"
    assert Delegation.objects.exists() is False
    assert _events("org.delegation.created") == 0


@pytest.mark.parametrize(("case", "starts_on", "ends_on", "field"), [
    ("end before start", date(2026, 3, 10), date(2026, 3, 9), "ends_on"),
    ("start in the past", date(2026, 3, 1), date(2026, 3, 9), "starts_on"),
    ("longer than a year", date(2026, 3, 2), date(2027, 3, 2), "ends_on"),
])
def test_bad_range_is_refused(case: str, starts_on: date, ends_on: date, field: str,
                              alice: User, carol: User) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _delegate(alice, alice, carol, starts_on=starts_on, ends_on=ends_on)

    assert refusal.value.field == field
    assert Delegation.objects.exists() is False


def test_template_of_another_company_is_refused(alice: User, carol: User) -> None:
    foreign = build_template(build_company(), publish=False)

    with pytest.raises(ValidationFailed) as refusal:
        _delegate(alice, alice, carol, template_ids=[foreign.pk])

    assert refusal.value.field == "template_ids"
    assert Delegation.objects.exists() is False


@pytest.mark.parametrize(("case", "first_templates", "second_templates", "second_range", "refused"), [
    ("same dates, all templates", None, None, (date(2026, 3, 6), date(2026, 3, 8)), True),
    ("touching last day", None, "a", (date(2026, 3, 6), date(2026, 3, 8)), True),
    ("adjacent ranges", None, None, (date(2026, 3, 7), date(2026, 3, 8)), False),
    ("same dates, shared template", "ab", "b", (date(2026, 3, 3), date(2026, 3, 4)), True),
    ("same dates, disjoint templates", "a", "b", (date(2026, 3, 3), date(2026, 3, 4)), False),
])
def test_overlap_is_refused_only_when_dates_and_templates_both_meet(
    case: str, first_templates: str | None, second_templates: str | None,
    second_range: tuple[date, date], refused: bool, company: Company, alice: User, bob: User,
    carol: User,
) -> None:
    templates = {"a": build_template(company, publish=False),
                 "b": build_template(company, publish=False)}

    def ids(letters: str | None) -> list[int] | None:
        return None if letters is None else [templates[letter].pk for letter in letters]

    _delegate(alice, alice, carol, template_ids=ids(first_templates))

    if refused:
        with pytest.raises(Conflict):
            _delegate(alice, alice, bob, starts_on=second_range[0], ends_on=second_range[1],
                      template_ids=ids(second_templates))
        assert Delegation.objects.count() == 1
        assert _events("org.delegation.created") == 1
    else:
        _delegate(alice, alice, bob, starts_on=second_range[0], ends_on=second_range[1],
                  template_ids=ids(second_templates))
        assert Delegation.objects.count() == 2


def test_cancelled_delegation_does_not_block_a_new_one(alice: User, bob: User, carol: User) -> None:
    first = _delegate(alice, alice, carol)
    cancel_delegation(actor=alice, delegation_id=first.pk)

    _delegate(alice, alice, bob)

    assert Delegation.objects.filter(cancelled_at__isnull=True).get().delegate == bob


# --- cancel ----------------------------------------------------------------------------------


def test_delegator_cancels_with_audit_row(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)

    cancel_delegation(actor=alice, delegation_id=delegation.pk)

    stored = Delegation.objects.get()
    assert (stored.cancelled_at, stored.cancelled_by) == (NOW, alice)
    assert AuditEvent.objects.get(action="org.delegation.cancelled").actor == alice


def test_hr_admin_cancels_a_colleagues_delegation(hr_admin: User, alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)

    cancel_delegation(actor=hr_admin, delegation_id=delegation.pk)

    assert Delegation.objects.get().cancelled_by == hr_admin


def test_delegate_sees_but_cannot_cancel(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)

    with pytest.raises(Forbidden):
        cancel_delegation(actor=carol, delegation_id=delegation.pk)

    assert Delegation.objects.get().cancelled_at is None
    assert _events("org.delegation.cancelled") == 0


def test_outsider_cannot_find_the_delegation(alice: User, carol: User, dave: User) -> None:
    delegation = _delegate(alice, alice, carol)

    with pytest.raises(NotFound):
        cancel_delegation(actor=dave, delegation_id=delegation.pk)

    assert Delegation.objects.get().cancelled_at is None


def test_cancelling_twice_is_refused(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)
    cancel_delegation(actor=alice, delegation_id=delegation.pk)

    with pytest.raises(Conflict):
        cancel_delegation(actor=alice, delegation_id=delegation.pk)

    assert _events("org.delegation.cancelled") == 1


def test_ended_delegation_cannot_be_cancelled(alice: User, carol: User) -> None:
    delegation = _delegate(alice, alice, carol)
    clock.set(datetime(2026, 3, 7, 2, 0, tzinfo=UTC))

    with pytest.raises(ValidationFailed):
        cancel_delegation(actor=alice, delegation_id=delegation.pk)

    assert Delegation.objects.get().cancelled_at is None


