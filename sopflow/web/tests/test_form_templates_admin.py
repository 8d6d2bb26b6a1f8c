"""Template settings, conditional fields, the 已阅读 report, print view, practice uploads and
the autosave conflict — through the real web interface."""

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from sopflow.audit.models import AuditEvent
from sopflow.form_templates.models import Attachment, FormTemplate, Submission
from sopflow.form_templates.services import templates as template_services
from sopflow.form_templates.tests.builders import build_submission, build_template
from sopflow.notify.models import Notification
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.org.tests.builders import build_department, build_position, build_user, grant
from sopflow.web.form_templates.admin_views import ICONS

CONDITIONAL = {"fields": [
    {"key": "f_type", "type": "single_choice", "label": "报销类型", "required": True,
     "options": [{"value": "差旅", "label": "差旅"}, {"value": "办公", "label": "办公"}]},
    {"key": "f_invoice", "type": "text", "label": "发票号", "required": True,
     "visible_when": {"all": [{"field": "f_type", "op": "eq", "value": "差旅"}]}},
    {"key": "f_note", "type": "text", "label": "备注",
     "required_when": {"any": [{"field": "f_type", "op": "eq", "value": "办公"}]}},
]}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def designer(company: Company) -> User:
    user = build_user(company, employee_no="P001", name="流程管理员")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- settings page ------------------------------------------------------------------------------


def test_every_curated_icon_exists_in_the_vendored_tabler_icons() -> None:
    css = Path("build/vendor/vendor/tabler-icons/tabler-icons.min.css").read_text()
    missing = [icon for icon in ICONS if f".{icon}:before" not in css]
    assert missing == []


@pytest.mark.parametrize(("who", "status"), [("designer", 200), ("alice", 403),
                                             ("carol", 404), ("admin", 200)])
def test_settings_page_permission_matrix(
    request: pytest.FixtureRequest, company: Company, who: str, status: int, alice: User,
    carol: User,
) -> None:
    # alice may start the template (scope: her department) but not manage it → 403;
    # carol cannot even see it → 404 (no existence leak).
    if who == "designer":
        request.getfixturevalue("designer")
    template = build_template(company, scope={"departments": [
        {"id": alice.department_id, "include_children": False}]})
    user = User.objects.get(employee_no={"designer": "P001", "alice": "A001", "carol": "C001",
                                         "admin": "admin"}[who]) if who != "admin" else \
        request.getfixturevalue("admin")
    client = _client(user)

    assert client.get(f"/templates/{template.pk}/settings/").status_code == status
    posted = client.post(f"/templates/{template.pk}/settings/",
                         {"name": "改名", "category": "财务", "scope_everyone": "on"})
    assert posted.status_code in {status, 302}
    template.refresh_from_db()
    assert (template.name == "改名") == (status == 200)


def test_settings_save_updates_metadata_scope_sop_and_is_audited(
    company: Company, designer: User, alice: User, marketing: Department, carol: User
) -> None:
    position = build_position(company, name="销售代表")
    template = build_template(company, name="费用报销")
    sub = build_department(company, name="市场一组", code="mk1", parent=marketing)
    client = _client(designer)

    response = client.post(f"/templates/{template.pk}/settings/", {
        "name": "费用报销（新）", "category": "财务", "icon": "ti-receipt",
        "description": "差旅与日常费用", "owner": str(alice.pk), "requires_ack": "on",
        "sop_instructions": "## 步骤\n\n1. 填写明细\n2. 上传发票",
        "scope_departments_tree": [str(marketing.pk)], "scope_departments_only": [str(sub.pk)],
        "scope_positions": [str(position.pk)], "scope_roles": ["auditor", "nonsense"],
        "scope_users": [str(carol.pk)],
    })

    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.category, template.icon, template.owner_id,
            template.requires_ack) == ("费用报销（新）", "财务", "ti-receipt", alice.pk, True)
    assert template.scope == {
        "departments": [{"id": marketing.pk, "include_children": True},
                        {"id": sub.pk, "include_children": False}],
        "positions": [position.pk], "roles": ["auditor"], "users": [carol.pk]}
    draft = template.versions.get(status="draft")
    assert draft.sop_instructions.startswith("## 步骤")
    event = AuditEvent.objects.filter(action="form_templates.template.updated").latest("pk")
    assert event.object_id == str(template.pk)
    assert event.changes["name"] == ["费用报销", "费用报销（新）"]
    assert event.changes["owner_id"][1] == alice.pk
    assert AuditEvent.objects.filter(action="form_templates.draft.sop_saved").exists()
    page = client.get(f"/templates/{template.pk}/settings/").content.decode()
    assert f'<option value="{carol.pk}" selected>' in page
    assert 'value="ti-receipt" checked' in page


def test_settings_refuses_a_bad_icon_and_an_owner_from_another_company(
    company: Company, designer: User
) -> None:
    template = build_template(company, name="请假")
    stranger = build_user(None, employee_no="X001")
    client = _client(designer)

    bad_icon = client.post(f"/templates/{template.pk}/settings/",
                           {"name": "请假", "category": "人事", "icon": "x onload=alert(1)"})
    bad_owner = client.post(f"/templates/{template.pk}/settings/",
                            {"name": "请假", "category": "人事", "owner": str(stranger.pk)})

    assert bad_icon.status_code == 422
    assert "图标名称不正确" in bad_icon.content.decode()
    assert bad_owner.status_code == 422
    assert "负责人须是本公司的在职员工" in bad_owner.content.decode()
    template.refresh_from_db()
    assert template.category == "财务"


def test_sop_markdown_preview_is_sanitised_server_side(company: Company, designer: User) -> None:
    template = build_template(company)
    response = _client(designer).post(
        f"/templates/{template.pk}/settings/preview/",
        {"sop_instructions": "# 标题\n\n<script>alert(1)</script>\n\n- 一\n- 二"})

    body = response.content.decode()
    assert "<h1>标题</h1>" in body
    assert "<li>一</li>" in body
    assert "<script>" not in body


def test_sop_image_upload_is_content_checked_and_served_to_people_who_may_see_the_template(
    company: Company, designer: User, alice: User, media: Path
) -> None:
    template = build_template(company)
    client = _client(designer)

    refused = client.post(f"/templates/{template.pk}/sop-images/",
                          {"file": io.BytesIO(b"<html><script>x</script></html>")},
                          format="multipart")
    upload = io.BytesIO(_png(40, 30))
    upload.name = "step1.png"
    accepted = client.post(f"/templates/{template.pk}/sop-images/", {"file": upload})

    assert refused.status_code == 422
    assert accepted.status_code == 201
    url = accepted.json()["url"]
    assert Attachment.objects.get().field_key == "_sop_image"
    assert _client(alice).get(url).status_code == 200  # alice may start the template
    outsider = build_user(build_department(None).company, employee_no="Z001")
    assert _client(outsider).get(url).status_code == 404
    employee = _client(alice).post(f"/templates/{template.pk}/sop-images/", {"file": upload})
    assert employee.status_code == 403


# --- conditional visibility and required ---------------------------------------------------------


def test_design_check_refuses_an_operator_that_does_not_fit_the_field(
    company: Company, designer: User
) -> None:
    template = build_template(company, publish=False, schema={"fields": []})
    schema = {"fields": [
        {"key": "f_city", "type": "text", "label": "城市"},
        {"key": "f_hotel", "type": "money", "label": "住宿费",
         "visible_when": {"all": [{"field": "f_city", "op": "gt", "value": "5"}]}}]}

    response = _client(designer).post(f"/templates/{template.pk}/design/save/", schema and
                                      {"schema": schema}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "f_hotel"
    assert "不适用的比较方式" in response.json()["errors"][0]["message"]


def test_visibility_conditions_round_trip_through_the_designer_save(
    company: Company, designer: User
) -> None:
    template = build_template(company, publish=False, schema={"fields": []})
    client = _client(designer)

    saved = client.post(f"/templates/{template.pk}/design/save/", {"schema": CONDITIONAL},
                        content_type="application/json")
    page = client.get(f"/templates/{template.pk}/design/").content.decode()

    assert saved.json()["ok"] is True
    assert template.versions.get().schema["fields"][1]["visible_when"] == \
        CONDITIONAL["fields"][1]["visible_when"]
    embedded = re.search(r'<script id="designer-schema" type="application/json">(.*?)</script>',
                         page, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1))["fields"][1]["visible_when"] == {
        "all": [{"field": "f_type", "op": "eq", "value": "差旅"}]}
    assert 'data-testid="cond-visible_when"' in page


def test_fill_page_hides_a_field_until_its_condition_holds_and_live_answer_says_so(
    company: Company, alice: User
) -> None:
    template = build_template(company, schema=CONDITIONAL)
    submission = build_submission(alice, template)
    client = _client(alice)

    page = client.get(f"/submissions/{submission.pk}/edit/").content.decode()
    shown = client.post(f"/submissions/{submission.pk}/autosave/",
                        {"f_type": "差旅", "revision": "1"}, HTTP_HX_REQUEST="true")
    hidden = client.post(f"/submissions/{submission.pk}/autosave/",
                         {"f_type": "办公", "f_invoice": "123", "revision": "2"},
                         HTTP_HX_REQUEST="true")

    assert re.search(r'data-field-key="f_invoice"[^>]* hidden>', page)
    assert 'data-hidden="f_invoice "' in page
    assert 'id="form-visibility" hidden data-hidden=""' in shown.content.decode()
    assert 'data-hidden="f_invoice "' in hidden.content.decode()
    submission.refresh_from_db()
    assert submission.values["f_invoice"] == "123"  # a draft keeps it (shown again on 差旅)


def test_submit_reports_conditional_required_next_to_the_field(
    company: Company, alice: User
) -> None:
    template = build_template(company, schema=CONDITIONAL)
    submission = build_submission(alice, template)

    response = _client(alice).post(f"/submissions/{submission.pk}/submit/",
                                   {"f_type": "办公", "revision": "1"})

    body = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'data-testid="error-f_note">[^<]*备注', body)
    assert 'data-testid="error-f_invoice"></div>' in body  # hidden: never required
    assert Submission.objects.get().status == "draft"

    done = _client(alice).post(f"/submissions/{submission.pk}/submit/",
                               {"f_type": "办公", "f_note": "打印纸", "f_invoice": "9",
                                "revision": "1"})
    assert done.status_code == 302
    submission.refresh_from_db()
    assert submission.values == {"f_type": "办公", "f_note": "打印纸"}  # hidden value dropped


# --- autosave conflict and practice uploads -----------------------------------------------------


def test_autosave_with_a_stale_revision_answers_409_with_a_message(
    company: Company, alice: User
) -> None:
    template = build_template(company, schema=CONDITIONAL)
    submission = build_submission(alice, template, values={"f_type": "差旅"})  # revision 2
    client = _client(alice)

    response = client.post(f"/submissions/{submission.pk}/autosave/",
                           {"f_type": "办公", "revision": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="save-status" hx-swap-oob="innerHTML"' in body
    assert "text-danger" in body
    submission.refresh_from_db()
    assert submission.values == {"f_type": "差旅"}


def test_practice_upload_is_checked_and_never_creates_a_submission(
    company: Company, alice: User, media: Path
) -> None:
    schema = {"fields": [{"key": "f_photo", "type": "image", "label": "照片", "required": True}]}
    template = build_template(company, schema=schema)
    client = _client(alice)
    version = template.current_version
    assert version is not None
    photo = io.BytesIO(_png(64, 48))
    photo.name = "site.png"
    bad = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
    bad.name = "site.png"

    accepted = client.post("/files/upload/", {"file": photo, "field": "f_photo",
                                              "version": str(version.pk)})
    refused = client.post("/files/upload/", {"file": bad, "field": "f_photo",
                                             "version": str(version.pk)})
    checked = client.post(f"/templates/{template.pk}/practice/",
                          {"f_photo": str(accepted.json()["id"])})

    assert accepted.status_code == 201
    assert refused.status_code == 422
    attachment = Attachment.objects.get()
    assert (attachment.submission_id, attachment.version_id) == (None, version.pk)
    assert checked.context["report"].passed
    assert Submission.objects.count() == 0


# --- 已阅读 report and publish notification ---------------------------------------------------------


def test_publish_notifies_people_in_scope_and_ack_report_counts_exactly(
    company: Company, designer: User, alice: User, bob: User, carol: User, dave: User,
    marketing: Department,
) -> None:
    template = build_template(company, requires_ack=True, scope={"departments": [
        {"id": marketing.pk, "include_children": True}], "users": [carol.pk]})
    template_services.save_draft(actor=designer, template_id=template.pk, schema={
        "fields": [*template.current_version.schema["fields"],  # type: ignore[union-attr]
                   {"key": "f_tax_id", "type": "text", "label": "购买方纳税人识别号"}]})
    template_services.publish_version(actor=designer, template_id=template.pk)
    template.refresh_from_db()

    notified = Notification.objects.filter(kind="form_templates.version.published")
    assert sorted(n.recipient.name for n in notified) == sorted([alice.name, bob.name,
                                                                 carol.name])
    assert "购买方纳税人识别号" in notified.first().body  # type: ignore[union-attr]
    assert notified.first().link == f"/templates/{template.pk}/"  # type: ignore[union-attr]
    _client(alice).post(f"/templates/versions/{template.current_version_id}/acknowledge/")

    page = _client(designer).get(f"/templates/{template.pk}/acknowledgements/")
    export = _client(designer).get(f"/templates/{template.pk}/acknowledgements/?format=csv")

    report = page.context["report"]
    assert (report.total, report.acknowledged, report.pending) == (3, 1, 2)
    assert [row.user.name for row in report.rows if row.acknowledged_at] == [alice.name]
    assert dave.name not in page.content.decode()
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff工号,姓名")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 4
    assert {row[1]: row[4] for row in rows[1:]} == {alice.name: "已阅读", bob.name: "未确认",
                                                    carol.name: "未确认"}
    assert _client(alice).get(f"/templates/{template.pk}/acknowledgements/").status_code == 403


# --- print view ---------------------------------------------------------------------------------


def test_print_view_shows_the_readonly_form_and_a_static_print_button(
    company: Company, alice: User, carol: User
) -> None:
    template = build_template(company, schema=CONDITIONAL)
    submission = build_submission(alice, template, values={"f_type": "差旅",
                                                             "f_invoice": "INV-001"}, submit=True)

    page = _client(alice).get(f"/submissions/{submission.pk}/print/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "INV-001" in body
    assert "data-print-button" in body
    assert "onclick" not in body
    assert "<script>" not in body.split("</head>")[1]
    assert _client(carol).get(f"/submissions/{submission.pk}/print/").status_code == 404
    assert FormTemplate.objects.count() == 1
