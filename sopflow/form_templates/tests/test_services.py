import copy
from typing import Any

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sopflow.form_templates.models import (
    FormTemplate,
    Submission,
    TemplateNotice,
    TemplateVersion,
    VersionAcknowledgement,
)
from sopflow.form_templates.services import submissions as submission_services
from sopflow.form_templates.services import templates as template_services
from sopflow.form_templates.tests.builders import (
    EXPENSE_VALUES,
    build_submission,
    build_template,
    expense_schema,
)
from sopflow.org.models import Company, User

TAX_ID = {"key": "f_buyer_tax_id", "type": "text", "label": "购买方纳税人识别号", "required": True}


def _publish_v2(template: FormTemplate) -> TemplateVersion:
    schema = expense_schema()
    schema["fields"].insert(4, copy.deepcopy(TAX_ID))
    template_services.save_draft(actor=None, template_id=template.pk, schema=schema,
                                 template=template)
    return template_services.publish_version(actor=None, template_id=template.pk,
                                             template=template)


def test_published_version_is_never_changed_by_a_later_draft(company: Company) -> None:
    template = build_template(company)
    v1 = template.current_version
    assert v1 is not None

    draft = template_services.save_draft(actor=None, template_id=template.pk,
                                         schema={"fields": []}, template=template)

    v1.refresh_from_db()
    assert draft.pk != v1.pk
    assert draft.number == 2
    assert v1.schema == expense_schema()
    assert v1.status == TemplateVersion.Status.PUBLISHED


def test_version_2_adds_tax_id_and_old_drafts_stay_on_version_1(
    company: Company, alice: User, bob: User
) -> None:
    template = build_template(company, name="费用报销")
    old_draft = build_submission(alice, template, values=EXPENSE_VALUES)

    v2 = _publish_v2(template)
    new_draft = submission_services.start_submission(actor=bob, template_id=template.pk)

    assert old_draft.version.number == 1
    assert new_draft.version == v2
    assert [c["key"] for c in v2.changes if c["change"] == "added"] == ["f_buyer_tax_id"]
    submitted = submission_services.submit_submission(actor=alice, submission_id=old_draft.pk)
    assert submitted.status == Submission.Status.SUBMITTED
    assert "f_buyer_tax_id" not in submitted.values
    with pytest.raises(ValidationFailed) as refused:
        submission_services.submit_submission(actor=bob, submission_id=new_draft.pk,
                                              values=EXPENSE_VALUES)
    assert {d["field"] for d in refused.value.details} == {"f_buyer_tax_id"}


def test_publishing_v2_notifies_people_in_scope_and_ack_is_tracked(
    company: Company, alice: User, bob: User
) -> None:
    template = build_template(company, requires_ack=True)

    v2 = _publish_v2(template)
    template_services.acknowledge_version(actor=alice, version_id=v2.pk)

    assert set(TemplateNotice.objects.filter(version=v2).values_list("recipient__employee_no",
                                                                      flat=True)) == {"A001", "B001"}
    assert TemplateNotice.objects.get(version=v2, recipient=alice).read_at is not None
    assert VersionAcknowledgement.objects.get(version=v2).user == alice


def test_submit_computes_total_and_capital_form(company: Company, alice: User) -> None:
    template = build_template(company)
    draft = build_submission(alice, template, values=EXPENSE_VALUES)

    submitted = submission_services.submit_submission(actor=alice, submission_id=draft.pk)

    assert submitted.values["f_total"] == "3200.00"
    assert submitted.computed["f_total"] == {"display": "3200.00", "capital": "叁仟贰佰元整"}
    assert submitted.revision == 3
    assert AuditEvent.objects.filter(action="form_templates.submission.submitted").count() == 1


def test_submit_refuses_short_customer_needs_with_character_count(
    company: Company, alice: User
) -> None:
    schema = {"fields": [{"key": "f_needs", "type": "textarea", "label": "客户需求",
                          "required": True, "min_length": 100}]}
    template = build_template(company, schema=schema)
    draft = build_submission(alice, template, values={"f_needs": "需" * 60})

    with pytest.raises(ValidationFailed) as refused:
        submission_services.submit_submission(actor=alice, submission_id=draft.pk)

    assert refused.value.details[0]["field"] == "f_needs"
    assert "100" in str(refused.value.details[0]["message"])
    assert "60" in str(refused.value.details[0]["message"])
    assert Submission.objects.get(pk=draft.pk).status == Submission.Status.DRAFT


def test_save_draft_refuses_a_formula_on_a_missing_field(company: Company, admin: User) -> None:
    template = build_template(company, publish=False)
    schema = {"fields": [{"key": "f_total", "type": "formula", "label": "合计",
                          "expression": "SUM(f_nowhere)", "result": "number"}]}

    with pytest.raises(ValidationFailed) as refused:
        template_services.save_draft(actor=admin, template_id=template.pk, schema=schema)

    assert refused.value.details[0]["field"] == "f_total"
    assert TemplateVersion.objects.get(template=template).schema == expense_schema()


def test_update_draft_with_a_stale_revision_is_refused(company: Company, alice: User) -> None:
    template = build_template(company)
    draft = build_submission(alice, template)

    submission_services.update_draft(actor=alice, submission_id=draft.pk, values={"f_payee": "a"},
                                     revision=draft.revision)
    with pytest.raises(Conflict):
        submission_services.update_draft(actor=alice, submission_id=draft.pk,
                                         values={"f_payee": "b"}, revision=draft.revision)

    assert Submission.objects.get(pk=draft.pk).values == {"f_payee": "a"}


def test_practice_reports_every_error_and_creates_no_submission(
    company: Company, alice: User
) -> None:
    template = build_template(company)

    report = submission_services.practice_check(actor=alice, template_id=template.pk,
                                                values={"f_items": [{"f_amount": "x"}]})

    assert report.passed is False
    assert [e.field for e in report.evaluation.errors] == [
        "f_type", "f_items[0].f_item", "f_items[0].f_amount", "f_payee"]
    assert Submission.objects.exists() is False


def test_export_then_import_round_trips_into_another_company(
    company: Company, admin: User
) -> None:
    template = build_template(company, name="请假", icon="ti-beach")
    other = Company.objects.create(name="别的公司", code="other")

    data = template_services.export_template(actor=admin, template_id=template.pk)
    copy_ = template_services.import_template(actor=None, company=other, data=data)

    assert (copy_.name, copy_.icon, copy_.code) == ("请假", "ti-beach", template.code)
    assert copy_.current_version is not None
    assert copy_.current_version.schema == expense_schema()
    assert copy_.current_version.sop_instructions == "## 报销须知\n\n- 发票须为电子发票"
    assert template_services.export_template(actor=admin, template_id=template.pk) == data


def test_employee_cannot_create_or_design_templates(company: Company, alice: User) -> None:
    template = build_template(company)

    with pytest.raises(Forbidden):
        template_services.create_template(actor=alice, company=company, name="x")
    with pytest.raises(Forbidden):
        template_services.save_draft(actor=alice, template_id=template.pk, schema={"fields": []})

    assert FormTemplate.objects.count() == 1


def test_outsider_cannot_open_a_colleagues_submission(
    company: Company, alice: User, dave: User, bob: User
) -> None:
    template = build_template(company)
    draft = build_submission(alice, template, values=EXPENSE_VALUES, submit=True)

    from sopflow.form_templates import access

    with pytest.raises(NotFound):
        access.get_submission_for(dave, draft.pk)
    assert access.get_submission_for(bob, draft.pk) == draft  # bob heads alice's department


@pytest.mark.parametrize(("scope", "expected"), [
    ({"everyone": True}, True),
    ({"users": []}, False),
    ({"departments": [{"id": "MARKETING", "include_children": False}]}, True),
    ({"roles": ["process_admin"]}, False),
])
def test_scope_decides_who_may_start(company: Company, alice: User, scope: dict[str, Any],
                                     expected: bool) -> None:
    if "departments" in scope:
        scope = {"departments": [{"id": alice.department_id, "include_children": False}]}
    template = build_template(company, scope=scope)

    from sopflow.form_templates import access

    assert (template in access.templates_startable_by(alice)) is expected
