from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from sopflow.form_templates.models import Attachment, Submission
from sopflow.form_templates.tests.builders import (
    EXPENSE_VALUES,
    build_submission,
    build_template,
)
from sopflow.org.models import Company, User

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_values() -> dict[str, Any]:
    return {"f_type": "差旅", "f_items.__row": ["0", "n1"], "f_items.0.f_item": "交通",
            "f_items.0.f_amount": "1200.00", "f_items.n1.f_item": "住宿",
            "f_items.n1.f_amount": "2000.00", "f_payee": "招商银行"}


def test_library_lists_startable_templates_and_detail_renders_sop(
    company: Company, alice: User
) -> None:
    template = build_template(company, name="费用报销", code="expense")
    client = _client(alice)

    library = client.get("/templates/")
    detail = client.get(f"/templates/{template.pk}/")

    assert [t.name for t in library.context["library"].others] == ["费用报销"]
    assert detail.status_code == 200
    assert "<h2>报销须知</h2>" in detail.content.decode()
    assert "<li>发票须为电子发票</li>" in detail.content.decode()


def test_fill_autosave_shows_live_total_and_field_error(company: Company, alice: User) -> None:
    template = build_template(company)
    client = _client(alice)
    start = client.post(f"/templates/{template.pk}/start/")
    submission = Submission.objects.get()
    assert start["Location"] == f"/submissions/{submission.pk}/edit/"
    page = client.get(start["Location"])
    assert 'hx-trigger="input changed delay:300ms' in page.content.decode()

    values = _post_values() | {"f_items.n1.f_amount": "abc", "revision": "1"}
    response = client.post(f"/submissions/{submission.pk}/autosave/", values,
                           HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="calc-f_total" hx-swap-oob="innerHTML">1,200.00' in body
    assert "费用明细第 2 行的金额应填写金额，例如 3200.00" in body
    assert Submission.objects.get().values["f_items"][1] == {"f_item": "住宿", "f_amount": "abc"}


def test_submit_with_errors_rerenders_with_messages_then_succeeds(
    company: Company, alice: User
) -> None:
    template = build_template(company)
    draft = build_submission(alice, template)
    client = _client(alice)

    refused = client.post(f"/submissions/{draft.pk}/submit/", _post_values() | {"f_payee": ""})
    accepted = client.post(f"/submissions/{draft.pk}/submit/", _post_values())
    detail = client.get(f"/submissions/{draft.pk}/")

    assert refused.status_code == 422
    assert "请填写收款账户" in refused.content.decode()
    assert accepted["Location"] == f"/submissions/{draft.pk}/"
    text = detail.content.decode()
    assert "3,200.00" in text  # shown with separators; stored as "3200.00"
    assert "¥1,200.00" in text
    assert "叁仟贰佰元整" in text
    assert "已提交" in text


@pytest.mark.parametrize(("stored", "shown"), [
    ("3200.00", "3,200.00"), ("1234567.5", "1,234,567.50"), ("-1200", "-1,200.00"),
    ("0", "0.00"), ("abc", "abc"), ("", ""),
])
def test_money_is_shown_with_thousands_separators(stored: str, shown: str) -> None:
    from sopflow.web.form_templates.render import money_text

    assert money_text(stored) == shown


def test_renderer_formats_money_values_formulas_and_totals_but_keeps_inputs() -> None:
    from sopflow.form_templates.tests.builders import EXPENSE_SCHEMA
    from sopflow.web.form_templates.render import build_fields

    values = {"f_items": [{"f_item": "交通", "f_amount": "1200.00"},
                          {"f_item": "住宿", "f_amount": "2000.00"}], "f_total": "3200.00"}
    computed = {"f_total": {"display": "3200.00", "capital": "叁仟贰佰元整"},
                "f_items.f_amount": {"display": "3200.00"}}
    views = {v.key: v for v in build_fields(EXPENSE_SCHEMA, values, computed=computed)}

    assert views["f_total"].computed["display"] == "3,200.00"
    assert views["f_items"].totals[0]["value"] == "3,200.00"
    amount = views["f_items"].rows[0][1]
    assert (amount.display, amount.text_value) == ("1,200.00", "1200.00")
    assert values["f_total"] == "3200.00"


def test_outsider_gets_404_for_a_colleagues_submission_and_files(
    settings: Any, tmp_path: Path, company: Company, alice: User, dave: User
) -> None:
    settings.MEDIA_ROOT = tmp_path
    template = build_template(company)
    draft = build_submission(alice, template, values=EXPENSE_VALUES)
    owner = _client(alice)
    upload = owner.post("/files/upload/", {"field": "f_invoices", "submission": draft.pk,
                                           "file": _file("发票.pdf", PDF)})
    attachment = Attachment.objects.get()
    outsider = _client(dave)

    assert upload.status_code == 201
    assert owner.get(f"/files/{attachment.pk}/").status_code == 200
    assert outsider.get(f"/submissions/{draft.pk}/").status_code == 404
    assert outsider.get(f"/submissions/{draft.pk}/edit/").status_code == 404
    assert outsider.get(f"/files/{attachment.pk}/").status_code == 404


def test_upload_refusal_is_a_json_message(settings: Any, tmp_path: Path, company: Company,
                                          alice: User) -> None:
    settings.MEDIA_ROOT = tmp_path
    draft = build_submission(alice, build_template(company))

    response = _client(alice).post("/files/upload/", {
        "field": "f_invoices", "submission": draft.pk,
        "file": _file("发票.jpg", b"<html><body>x</body></html>")})

    assert response.status_code == 422
    assert response.json()["message"].startswith("文件「发票.jpg」的内容不是 JPG")
    assert Attachment.objects.exists() is False


def test_practice_page_reports_errors_and_creates_nothing(company: Company, alice: User) -> None:
    template = build_template(company)

    response = _client(alice).post(f"/templates/{template.pk}/practice/", {"f_type": "差旅"})

    assert response.status_code == 200
    assert "请填写收款账户" in response.content.decode()
    assert Submission.objects.exists() is False


def test_designer_save_refuses_bad_design_with_field_pointer(company: Company,
                                                              admin: User) -> None:
    template = build_template(company, publish=False)
    client = _client(admin)

    response = client.post(f"/templates/{template.pk}/design/save/", {"schema": {"fields": [
        {"key": "f_a", "type": "single_choice", "label": "类型", "options": []}]}},
        content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "f_a"
    assert client.get(f"/templates/{template.pk}/design/").status_code == 200


def test_version_history_lists_the_added_field(company: Company, admin: User) -> None:
    template = build_template(company)
    client = _client(admin)
    schema = template.current_version.schema  # type: ignore[union-attr]  # published
    schema["fields"].append({"key": "f_buyer_tax_id", "type": "text", "label": "购买方纳税人识别号"})
    client.post(f"/templates/{template.pk}/design/save/", {"schema": schema},
                content_type="application/json")
    client.post(f"/templates/{template.pk}/publish/")

    page = client.get(f"/templates/{template.pk}/versions/")

    changes = page.context["versions"][0].changes
    assert [(c["change"], c["key"]) for c in changes] == [("added", "f_buyer_tax_id")]
    assert "购买方纳税人识别号" in page.content.decode()


def _file(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("dave", 404), ("alice", 200),
                                             ("admin", 200)])
def test_api_submission_permission_matrix(company: Company, alice: User, dave: User,
                                          admin: User, who: str, status: int) -> None:
    draft = build_submission(alice, build_template(company), values=EXPENSE_VALUES, submit=True)
    client = Client() if who == "anonymous" else _client({"dave": dave, "alice": alice,
                                                          "admin": admin}[who])

    response = client.get(f"/api/v1/forms/submissions/{draft.pk}")
    update = client.put(f"/api/v1/forms/submissions/{draft.pk}", {"values": {}},
                        content_type="application/json")

    assert response.status_code == status
    assert update.status_code in {401, 403, 404}
    assert Submission.objects.get().values["f_total"] == "3200.00"


def test_api_create_update_submit_with_field_errors(company: Company, alice: User) -> None:
    template = build_template(company)
    client = _client(alice)

    listed = client.get("/api/v1/forms/templates").json()
    created = client.post("/api/v1/forms/submissions", {"template_id": template.pk},
                          content_type="application/json").json()
    refused = client.post(f"/api/v1/forms/submissions/{created['id']}/submit",
                          {"values": {"f_type": "差旅"}}, content_type="application/json")
    done = client.post(f"/api/v1/forms/submissions/{created['id']}/submit",
                       {"values": EXPENSE_VALUES}, content_type="application/json")

    assert [t["name"] for t in listed] == [template.name]
    assert refused.status_code == 422
    assert {d["field"] for d in refused.json()["details"]} == {"f_items", "f_payee"}
    assert done.json()["status"] == "submitted"
    assert done.json()["computed"]["f_total"]["capital"] == "叁仟贰佰元整"


def test_every_builtin_template_renders_fill_practice_and_readonly(
    company: Company, alice: User
) -> None:
    from sopflow.form_templates.services.templates import install_builtin_pack

    templates = install_builtin_pack(actor=None, company=company)
    client = _client(alice)

    for template in templates:
        start = client.post(f"/templates/{template.pk}/start/")
        fill = client.get(start["Location"])
        practice = client.get(f"/templates/{template.pk}/practice/")
        submission = Submission.objects.get(template=template)
        detail = client.get(f"/submissions/{submission.pk}/")
        statuses = (fill.status_code, practice.status_code, detail.status_code)
        assert statuses == (200, 200, 200), template.name
    assert "请假日期" in client.get(f"/submissions/{Submission.objects.get(template__code='leave').pk}/edit/").content.decode()


def test_home_fragment_lists_templates(company: Company, alice: User) -> None:
    build_template(company, name="请假")

    response = _client(alice).get("/templates/pushed/", HTTP_HX_REQUEST="true")

    assert "请假" in response.content.decode()


def test_leave_date_range_shows_calendar_and_working_days(company: Company, alice: User) -> None:
    schema = {"fields": [{"key": "f_period", "type": "date_range", "label": "请假日期"}]}
    draft = build_submission(alice, build_template(company, schema=schema))

    response = _client(alice).post(f"/submissions/{draft.pk}/autosave/", {
        "f_period.start": "2026-09-30", "f_period.end": "2026-10-10"}, HTTP_HX_REQUEST="true")

    assert "共 11 天，其中工作日 8 天（按工作日历计算）" in response.content.decode()
