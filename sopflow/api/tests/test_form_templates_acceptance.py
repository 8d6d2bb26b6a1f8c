"""Acceptance of the SOP template library (issue 3) through the REST API (`/api/v1/forms`).

- S11: 费用报销 v1 → v2 in the demo company. The form designer has no API (the issue lists none),
  so 苏畅 publishes v2 through the designer's web endpoints; everything 张敏 does is over the API
  with a Bearer token: her v1 draft stays on v1 and submits against it, a new draft gets v2, and
  the version's schema and field diff are served by `GET /versions/{id}`.
- Upload refusals through `POST /submissions/{id}/attachments`: the same four bad files as the
  web endpoint, refused with the same messages and nothing stored; a good PDF is accepted and
  downloaded back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sopflow.api.tests.conftest import bearer_client
from sopflow.demo.seed import seed_demo
from sopflow.form_templates.models import Attachment, FormTemplate, Submission
from sopflow.form_templates.tests.builders import build_submission, build_template
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.web.tests.test_form_templates_acceptance import ADDED, PDF, REFUSALS, TAX_ID

pytestmark = pytest.mark.django_db

API = "/api/v1/forms"
TAX_NO = "91310000MA1FL1234X"


def _person(number: str) -> User:
    return User.objects.get(employee_no=number)


def _expense_values(**extra: Any) -> dict[str, Any]:
    return {"f_type": "办公", "f_items": [{"f_item": "打印纸", "f_date": "2026-03-02",
                                         "f_amount": "268.00"}],
            "f_payee_name": "张敏", "f_payee_account": "招商银行 6225 8801 2345 6789"} | extra


def _keys(schema: dict[str, Any]) -> list[str]:
    return [field["key"] for field in schema["fields"]]


def _publish_v2_in_the_designer(admin: User, expense: FormTemplate) -> None:
    web = Client()
    web.force_login(admin)
    schema = web.get(f"/templates/{expense.pk}/design/").context["schema"]
    schema["fields"].insert(len(schema["fields"]) - 2, TAX_ID)
    saved = web.post(f"/templates/{expense.pk}/design/save/", {"schema": schema},
                     content_type="application/json")
    assert saved.json()["ok"] is True, saved.content
    assert web.post(f"/templates/{expense.pk}/publish/").status_code == 302


def test_s11_expense_v2_over_the_api_v1_draft_keeps_v1_new_draft_gets_v2() -> None:
    demo: Company = seed_demo()
    su, zhang = _person("E013"), _person("E041")
    expense = FormTemplate.objects.get(company=demo, code="expense")
    api = bearer_client(zhang)

    listed = {t["code"]: t for t in api.get(f"{API}/templates").json()}
    assert listed["expense"]["current_version_number"] == 1
    v1_id = listed["expense"]["current_version_id"]
    created = api.post(f"{API}/submissions", {"template_id": expense.pk},
                       content_type="application/json")
    assert created.status_code == 201, created.content
    old = created.json()
    assert (old["version_id"], old["version_number"], old["status"]) == (v1_id, 1, "draft")
    saved = api.put(f"{API}/submissions/{old['id']}",
                    {"values": _expense_values(), "revision": old["revision"]},
                    content_type="application/json")
    assert saved.status_code == 200, saved.content

    _publish_v2_in_the_designer(su, expense)

    # The template now serves v2, whose schema has the field and whose diff lists it.
    listed = {t["code"]: t for t in api.get(f"{API}/templates").json()}
    assert listed["expense"]["current_version_number"] == 2
    v2_id = listed["expense"]["current_version_id"]
    v2 = api.get(f"{API}/versions/{v2_id}").json()
    assert (v2["number"], v2["status"], v2["change_summary"]) == (2, "published", ADDED)
    assert "f_buyer_tax_id" in _keys(v2["form_schema"])
    assert [(c["change"], c["key"], c["summary"]) for c in v2["changes"]] == [
        ("added", "f_buyer_tax_id", ADDED)]

    # The v1 draft: still pinned to v1, whose schema (still served) has no such field.
    fetched = api.get(f"{API}/submissions/{old['id']}")
    assert fetched.status_code == 200
    assert (fetched.json()["version_id"], fetched.json()["version_number"]) == (v1_id, 1)
    assert "f_buyer_tax_id" not in fetched.content.decode()
    assert "购买方纳税人识别号" not in fetched.content.decode()
    v1 = api.get(f"{API}/versions/{v1_id}").json()
    assert v1["status"] == "published"
    assert "f_buyer_tax_id" not in _keys(v1["form_schema"])

    submitted = api.post(f"{API}/submissions/{old['id']}/submit", {"values": _expense_values()},
                         content_type="application/json")
    assert submitted.status_code == 200, submitted.content
    assert (submitted.json()["status"], submitted.json()["version_number"]) == ("submitted", 1)
    assert "f_buyer_tax_id" not in submitted.json()["values"]

    # A new draft uses v2 and needs the new field.
    new = api.post(f"{API}/submissions", {"template_id": expense.pk},
                   content_type="application/json").json()
    assert (new["version_id"], new["version_number"]) == (v2_id, 2)
    refused = api.post(f"{API}/submissions/{new['id']}/submit", {"values": _expense_values()},
                       content_type="application/json")
    assert refused.status_code == 422
    assert {(d["field"], d["message"]) for d in refused.json()["details"]} == {
        ("f_buyer_tax_id", "请填写购买方纳税人识别号")}
    done = api.post(f"{API}/submissions/{new['id']}/submit",
                    {"values": _expense_values(f_buyer_tax_id=TAX_NO)},
                    content_type="application/json")
    assert done.status_code == 200, done.content
    assert (done.json()["version_number"], done.json()["values"]["f_buyer_tax_id"]) == (2, TAX_NO)

    mine = {s["id"]: s["version_number"] for s in api.get(f"{API}/submissions").json()}
    assert (mine[old["id"]], mine[new["id"]]) == (1, 2)

    # 张敏 is in scope (费用报销: everyone) and was told what changed (and, since 费用报销 needs
    # 已阅读, asked to confirm).
    assert expense.requires_ack is True
    notice = Notification.objects.get(recipient=zhang, kind="form_templates.version.published")
    assert (notice.title, notice.body) == ("「费用报销」发布了 v2",
                                           f"{ADDED}\n请阅读新版本并确认“已阅读”。")


# --- uploads --------------------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _upload(api: Client, submission_id: int, name: str, content: bytes,
            field: str = "f_invoices") -> Any:
    return api.post(f"{API}/submissions/{submission_id}/attachments",
                    {"field": field, "file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(("name", "content", "code", "message"), REFUSALS)
def test_api_upload_refuses_with_the_same_message_and_stores_nothing(
    media: Path, company: Company, alice: User, name: str, content: bytes, code: str,
    message: str,
) -> None:
    draft = build_submission(alice, build_template(company))

    response = _upload(bearer_client(alice), draft.pk, name, content)

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": code, "message": message}
    assert Attachment.objects.exists() is False
    assert _stored_files(media) == []


def test_api_upload_accepts_a_good_pdf_and_downloads_it(
    media: Path, company: Company, alice: User, dave: User
) -> None:
    draft = build_submission(alice, build_template(company))
    api = bearer_client(alice)

    response = _upload(api, draft.pk, "发票.pdf", PDF)

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    body = response.json()
    assert (body["id"], body["field_key"], body["original_name"], body["kind"], body["size"],
            body["submission_id"]) == (attachment.pk, "f_invoices", "发票.pdf", "pdf", len(PDF),
                                       draft.pk)
    assert _stored_files(media) == [media / attachment.storage_path]
    download = api.get(f"{API}/attachments/{attachment.pk}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert bearer_client(dave).get(f"{API}/attachments/{attachment.pk}").status_code == 404


def test_api_upload_to_someone_elses_draft_or_a_non_file_field_stores_nothing(
    media: Path, company: Company, alice: User, dave: User
) -> None:
    draft = build_submission(alice, build_template(company))

    outsider = _upload(bearer_client(dave), draft.pk, "发票.pdf", PDF)
    wrong_field = _upload(bearer_client(alice), draft.pk, "发票.pdf", PDF, field="f_payee")

    assert outsider.status_code == 404
    assert (wrong_field.status_code, wrong_field.json()["message"]) == (422, "这个字段不接受文件")
    assert Attachment.objects.exists() is False
    assert Submission.objects.get().values.get("f_invoices") in (None, [])
    assert _stored_files(media) == []
