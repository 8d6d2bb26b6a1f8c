"""The store's optimistic lock and the submit's draft check: a command that lost a race is told
(Conflict) and its transaction leaves nothing behind."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import F

from sopflow.audit.models import AuditEvent
from sopflow.audit.queries import verify_chain
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden
from sopflow.form_templates.models import Submission
from sopflow.form_templates.services import submissions
from sopflow.form_templates.tests.builders import EXPENSE_VALUES
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.workflow import services, store
from sopflow.workflow.directory import OrgDirectory
from sopflow.workflow.engine import Approve, advance
from sopflow.workflow.models import ApprovalTask, Instance, InstanceEvent

from .builders import flow_template, head_then_finance, open_task, running_instance

pytestmark = pytest.mark.django_db


def _everything() -> tuple[int, ...]:
    return (AuditEvent.objects.count(), InstanceEvent.objects.count(),
            ApprovalTask.objects.count(), Notification.objects.count(),
            Instance.objects.count())


def test_a_save_against_a_newer_revision_raises_conflict_and_writes_nothing(
        company: Company, alice: User, bob: User, carol: User) -> None:
    template = flow_template(company, head_then_finance([carol.pk]))
    instance = running_instance(alice, template)
    task = open_task(instance, bob)
    before = _everything()

    def approve_after_someone_else_saved() -> None:
        with transaction.atomic():
            loaded = store.load_task(task.pk, company_id=company.pk)
            assert loaded is not None
            row, spec, state = loaded[0].instance, loaded[1], loaded[2]
            Instance.objects.filter(pk=row.pk).update(revision=F("revision") + 1)
            directory = OrgDirectory(company.pk)
            now = clock.now()
            outcome = advance(spec.definition, state, Approve(task.key, bob.pk), now=now,
                              directory=directory)
            store.save(row, spec, outcome, actor=bob, now=now, directory=directory)

    with pytest.raises(Conflict, match="该事项已被他人更新"):
        approve_after_someone_else_saved()

    assert _everything() == before
    assert ApprovalTask.objects.get(pk=task.pk).status == ApprovalTask.Status.OPEN
    assert verify_chain().ok


def test_submitting_a_draft_twice_is_refused_and_changes_nothing(
        company: Company, alice: User, bob: User, carol: User) -> None:
    template = flow_template(company, head_then_finance([carol.pk]))
    draft = submissions.start_submission(actor=alice, template_id=template.pk)
    services.submit_for_approval(actor=alice, submission_id=draft.pk, values=EXPENSE_VALUES)
    before = _everything()

    with pytest.raises(Forbidden, match="表单已提交，不能再修改"):
        services.submit_for_approval(actor=alice, submission_id=draft.pk,
                                     values=EXPENSE_VALUES)

    assert _everything() == before


def test_a_draft_that_turns_submitted_between_its_check_and_the_update_is_a_conflict(
        company: Company, alice: User, carol: User) -> None:
    template = flow_template(company, head_then_finance([carol.pk]))
    draft = submissions.start_submission(actor=alice, template_id=template.pk)
    loaded = Submission.objects.get(pk=draft.pk)
    Submission.objects.filter(pk=draft.pk).update(status=Submission.Status.SUBMITTED)
    before = _everything()

    with pytest.raises(Conflict, match="表单已提交，不能重复提交"), transaction.atomic():
        submissions._mark_submitted(loaded, {"f_type": "差旅"}, {})

    assert _everything() == before
    assert Submission.objects.get(pk=draft.pk).revision == loaded.revision
