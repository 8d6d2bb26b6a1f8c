"""Acceptance of the SOP template library (issue 3) through the web pages, not the services.

- S11: in the demo company 苏畅 (process admin) adds 购买方纳税人识别号 to 费用报销 in the designer and
  publishes v2; 张敏's v1 draft keeps v1 fields and submits against v1, a new draft gets v2, the
  version history lists the added field and people in scope got the change summary.
- Upload refusals through `POST /files/upload/` (the endpoint the fill page's JS calls): an .exe
  renamed .pdf, an 11 MB file, an HTML file renamed .jpg and a truncated PDF are refused with the
  exact message and nothing is stored; a good PDF is accepted and served back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sopflow.audit.models import AuditEvent
from sopflow.demo.seed import DEMO_PASSWORD, seed_demo
from sopflow.form_templates.models import (
    Attachment,
    FormTemplate,
    Submission,
    TemplateNotice,
    TemplateVersion,
)
from sopflow.form_templates.tests.builders import build_submission, build_template
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User

TAX_ID = {"key": "f_buyer_tax_id", "type": "text", "label": "购买方纳税人识别号", "required": True,
          "placeholder": "18 位统一社会信用代码"}
ADDED = "新增字段“购买方纳税人识别号”"
V1_LABELS = ["报销类型", "费用明细", "报销合计", "电子发票", "收款人", "收款账户（开户行及账号）"]

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
BIG_PDF = PDF[:-6] + b"0" * (11 * 1024 * 1024) + b"%%EOF\n"

REFUSALS = [
    pytest.param("发票.pdf", EXE, "file_content_mismatch",
                 "文件「发票.pdf」的内容不是 PDF（实际是可执行程序），请上传真实的 PDF 文件",
                 id="exe-renamed-pdf"),
    pytest.param("发票.pdf", BIG_PDF, "file_too_large",
                 "文件「发票.pdf」大小为 11.0 MB，超过 10 MB 的上限，请压缩后再上传", id="11MB"),
    pytest.param("发票.jpg", HTML, "file_content_mismatch",
                 "文件「发票.jpg」的内容不是 JPG（实际是网页（HTML）），请上传真实的 JPG 文件",
                 id="html-renamed-jpg"),
    pytest.param("发票.pdf", PDF[: len(PDF) // 2], "file_corrupt",
                 "文件「发票.pdf」已损坏或不完整（PDF 缺少结尾标记），无法打开，请重新导出或下载后再上传",
                 id="truncated-pdf"),
]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


# --- S11: 费用报销 v1 → v2 -------------------------------------------------------------------------


@pytest.fixture
def demo(db: None) -> Company:
    return seed_demo()


def _person(number: str) -> User:
    return User.objects.get(employee_no=number)


def _expense_post(**extra: str) -> dict[str, Any]:
    """The demo 费用报销 as the fill page posts it (办公: no invoice needed)."""
    return {"f_type": "办公", "f_items.__row": ["0"], "f_items.0.f_item": "打印纸",
            "f_items.0.f_date": "2026-03-02", "f_items.0.f_amount": "268.00",
            "f_payee_name": "张敏", "f_payee_account": "招商银行 6225 8801 2345 6789"} | extra


def _field_labels(response: Any) -> list[str]:
    return [field.label for field in response.context["fields"]]


def _start(client: Client, template: FormTemplate) -> Submission:
    response = client.post(f"/templates/{template.pk}/start/")
    assert response.status_code == 302, response.content
    submission_id = int(response["Location"].strip("/").split("/")[1])
    assert response["Location"] == f"/submissions/{submission_id}/edit/"
    return Submission.objects.get(pk=submission_id)


def _publish_v2_in_the_designer(su: Client, expense: FormTemplate) -> TemplateVersion:
    designer = su.get(f"/templates/{expense.pk}/design/")
    assert designer.status_code == 200
    schema = designer.context["schema"]
    assert "f_buyer_tax_id" not in [field["key"] for field in schema["fields"]]
    schema["fields"].insert(len(schema["fields"]) - 2, TAX_ID)  # before 收款人
    saved = su.post(f"/templates/{expense.pk}/design/save/",
                    {"schema": schema, "sop_instructions": designer.context["sop_instructions"]},
                    content_type="application/json")
    assert saved.json() == {"ok": True, "message": "已保存草稿 v2", "version": 2}
    published = su.post(f"/templates/{expense.pk}/publish/")
    assert published.status_code == 302
    assert published["Location"] == f"/templates/{expense.pk}/"
    expense.refresh_from_db()
    return expense.current_version  # type: ignore[return-value]  # just published


def test_s11_expense_v2_adds_buyer_tax_id_and_v1_draft_keeps_v1(demo: Company) -> None:
    su, zhang = _person("E013"), _person("E041")
    expense = FormTemplate.objects.get(company=demo, code="expense")
    v1 = expense.current_version
    assert v1 is not None
    v1_schema = dict(v1.schema)
    admin, employee = _client(su), _client(zhang)

    old = _start(employee, expense)
    autosaved = employee.post(f"/submissions/{old.pk}/autosave/",
                              _expense_post(revision=str(old.revision)), HTTP_HX_REQUEST="true")
    assert autosaved.status_code == 200
    assert old.version_id == v1.pk

    v2 = _publish_v2_in_the_designer(admin, expense)

    # A published version never changes; the new one is current.
    assert (v2.number, v2.status) == (2, TemplateVersion.Status.PUBLISHED)
    v1.refresh_from_db()
    assert v1.schema == v1_schema
    assert [(c["change"], c["key"]) for c in v2.changes] == [("added", "f_buyer_tax_id")]
    assert v2.change_summary == ADDED

    # The v1 draft still renders v1 fields and submits against v1.
    fill_old = employee.get(f"/submissions/{old.pk}/edit/")
    assert fill_old.status_code == 200
    assert fill_old.context["version"].pk == v1.pk
    assert _field_labels(fill_old) == V1_LABELS
    assert 'name="f_buyer_tax_id"' not in fill_old.content.decode()
    assert "18 位统一社会信用代码" not in fill_old.content.decode()
    submitted = employee.post(f"/submissions/{old.pk}/submit/", _expense_post())
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    old.refresh_from_db()
    assert (old.status, old.version_id) == (Submission.Status.SUBMITTED, v1.pk)
    assert "f_buyer_tax_id" not in old.values
    readonly = employee.get(f"/submissions/{old.pk}/")
    assert readonly.status_code == 200
    assert _field_labels(readonly) == V1_LABELS
    assert "268.00" in readonly.content.decode()

    # A new draft uses v2: the field shows and is required on submit.
    new = _start(employee, expense)
    assert new.version_id == v2.pk
    fill_new = employee.get(f"/submissions/{new.pk}/edit/")
    assert _field_labels(fill_new) == [*V1_LABELS[:-2], "购买方纳税人识别号", *V1_LABELS[-2:]]
    assert 'name="f_buyer_tax_id"' in fill_new.content.decode()
    assert 'placeholder="18 位统一社会信用代码"' in fill_new.content.decode()
    refused = employee.post(f"/submissions/{new.pk}/submit/", _expense_post())
    assert refused.status_code == 422
    assert "请填写购买方纳税人识别号" in refused.content.decode()
    accepted = employee.post(f"/submissions/{new.pk}/submit/",
                             _expense_post(f_buyer_tax_id="91310000MA1FL1234X"))
    assert accepted.status_code == 302
    new.refresh_from_db()
    assert (new.status, new.values["f_buyer_tax_id"]) == (Submission.Status.SUBMITTED,
                                                          "91310000MA1FL1234X")

    # The version history lists the added field, for the admin and for an employee.
    for client in (admin, employee):
        history = client.get(f"/templates/{expense.pk}/versions/")
        assert history.status_code == 200
        assert ADDED in history.content.decode()
        assert [v.number for v in history.context["versions"]][:2] == [2, 1]

    # Everyone in the template's scope (费用报销: everyone) got the summary, on the bell and in
    # the library banner (a notice per person, for the 已阅读 tracking).
    assert expense.scope.get("everyone") is True
    in_scope = set(User.objects.filter(company=demo, is_active=True).values_list("pk", flat=True))
    notified = Notification.objects.filter(kind="form_templates.version.published",
                                           source=f"form_templates.version:{v2.pk}")
    # (the bell never notifies the actor of their own publish)
    assert set(notified.values_list("recipient_id", flat=True)) == in_scope - {su.pk}
    assert all(ADDED in n.body for n in notified)
    assert set(TemplateNotice.objects.filter(version=v2).values_list("recipient_id", flat=True)
               ) == in_scope
    bell = employee.get("/notifications/")
    assert "「费用报销」发布了 v2" in bell.content.decode()
    assert ADDED in bell.content.decode()
    library = employee.get("/templates/")
    assert [notice.version_id for notice in library.context["notices"]] == [v2.pk]


# --- uploads through the fill page's endpoint ----------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(("name", "content", "code", "message"), REFUSALS)
def test_fill_page_upload_refuses_and_stores_nothing(
    media: Path, company: Company, alice: User, name: str, content: bytes, code: str,
    message: str,
) -> None:
    draft = build_submission(alice, build_template(company))
    client = _client(alice)
    fill = client.get(f"/submissions/{draft.pk}/edit/").content.decode()
    assert 'data-upload-url="/files/upload/"' in fill
    assert f'data-submission="{draft.pk}"' in fill

    response = client.post("/files/upload/", {"field": "f_invoices", "submission": draft.pk,
                                              "file": SimpleUploadedFile(name, content)})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": code, "message": message}
    assert Attachment.objects.exists() is False
    assert _stored_files(media) == []
    assert not AuditEvent.objects.filter(action="form_templates.attachment.uploaded").exists()


@pytest.mark.parametrize(("name", "content", "code", "message"), REFUSALS)
def test_practice_upload_refuses_and_stores_nothing(
    media: Path, company: Company, alice: User, name: str, content: bytes, code: str,
    message: str,
) -> None:
    template = build_template(company)

    response = _client(alice).post("/files/upload/", {
        "field": "f_invoices", "version": template.current_version_id,
        "file": SimpleUploadedFile(name, content)})

    assert (response.status_code, response.json()) == (422, {"code": code, "message": message})
    assert Attachment.objects.exists() is False
    assert _stored_files(media) == []


def test_fill_page_upload_accepts_a_good_pdf_and_serves_it_back(
    media: Path, company: Company, alice: User
) -> None:
    draft = build_submission(alice, build_template(company))
    client = _client(alice)

    response = client.post("/files/upload/", {"field": "f_invoices", "submission": draft.pk,
                                              "file": SimpleUploadedFile("发票.pdf", PDF)})

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json() == {"id": attachment.pk, "name": "发票.pdf", "size": len(PDF),
                               "kind": "pdf", "url": f"/files/{attachment.pk}/",
                               "thumbnail_url": ""}
    assert (attachment.submission_id, attachment.field_key) == (draft.pk, "f_invoices")
    assert _stored_files(media) == [media / attachment.storage_path]
    download = client.get(f"/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["X-Content-Type-Options"] == "nosniff"


# --- browser: the same S11 story in Chromium ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_s11_in_the_browser_old_draft_keeps_v1_new_draft_shows_v2(page: Any) -> None:
    from playwright.sync_api import expect

    from conftest import login_in_browser
    from sopflow.form_templates.services import submissions as submission_services
    from sopflow.form_templates.services import templates as template_services

    demo = seed_demo()
    su, zhang = _person("E013"), _person("E041")
    expense = FormTemplate.objects.get(company=demo, code="expense")
    old = submission_services.start_submission(actor=zhang, template_id=expense.pk)
    schema = expense.current_version.schema  # type: ignore[union-attr]  # published
    template_services.save_draft(actor=su, template_id=expense.pk,
                                 schema={"fields": [*schema["fields"], TAX_ID]})
    template_services.publish_version(actor=su, template_id=expense.pk)

    login_in_browser(page, "E041", DEMO_PASSWORD)
    page.goto(f"/submissions/{old.pk}/edit/")
    expect(page.locator('[name="f_payee_account"]')).to_be_visible()
    expect(page.locator('[name="f_buyer_tax_id"]')).to_have_count(0)

    page.goto(f"/templates/{expense.pk}/")
    page.get_by_test_id("start").click()
    page.wait_for_url("**/edit/")
    assert page.url.rstrip("/").split("/")[-2] != str(old.pk)
    expect(page.locator('[name="f_buyer_tax_id"]')).to_be_visible()

    page.goto(f"/templates/{expense.pk}/versions/")
    expect(page.get_by_test_id("version-2")).to_contain_text(ADDED)
