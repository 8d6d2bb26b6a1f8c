import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sopflow.core.errors import ValidationFailed
from sopflow.form_templates.models import Attachment
from sopflow.form_templates.services import attachments as attachment_services
from sopflow.form_templates.tests.builders import build_submission, build_template
from sopflow.org.models import Company, User

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (800, 600), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(alice: User, company: Company, name: str, content: bytes) -> Attachment:
    template = build_template(company)
    draft = build_submission(alice, template)
    return attachment_services.upload_attachment(actor=alice, submission_id=draft.pk,
                                                 field_key="f_invoices", file_name=name,
                                                 content=content)


@pytest.mark.parametrize(("case", "name", "content", "message"), [
    ("exe renamed pdf", "发票.pdf", EXE, "文件「发票.pdf」的内容不是 PDF"),
    ("11 MB", "发票.pdf", PDF[:-6] + b"0" * (11 * 1024 * 1024) + b"%%EOF\n",
     "文件「发票.pdf」大小为 11.0 MB，超过 10 MB 的上限"),
    ("html renamed jpg", "发票.jpg", b"<!DOCTYPE html><html><body>x</body></html>",
     "文件「发票.jpg」的内容不是 JPG（实际是网页（HTML））"),
    ("truncated pdf", "发票.pdf", PDF[: len(PDF) // 2], "文件「发票.pdf」已损坏或不完整"),
    ("word not allowed here", "合同.docx", b"PK\x03\x04", "不支持「.docx」文件，这里只能上传：PDF、JPG、PNG"),
])
def test_refused_upload_leaves_nothing_behind(
    media: Path, company: Company, alice: User, case: str, name: str, content: bytes,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _upload(alice, company, name, content)

    assert refused.value.message.startswith(message)
    assert Attachment.objects.exists() is False
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_pdf_is_stored_privately_with_its_hash(media: Path, company: Company, alice: User) -> None:
    attachment = _upload(alice, company, "发票.pdf", PDF)

    stored = media / attachment.storage_path
    assert attachment.storage_path.startswith("private/attachments/")
    assert stored.read_bytes() == PDF
    assert (attachment.kind, attachment.size, attachment.thumbnail_path) == ("pdf", len(PDF), "")


def test_image_is_reencoded_without_exif_and_gets_a_thumbnail(
    media: Path, company: Company, alice: User
) -> None:
    attachment = _upload(alice, company, "IMG_0001.JPG", _jpeg_with_exif())

    with Image.open(media / attachment.storage_path) as image:
        assert image.getexif().get(0x010F) is None
        assert image.size == (800, 600)
    with Image.open(media / attachment.thumbnail_path) as thumbnail:
        assert thumbnail.size == (320, 240)
    assert attachment.kind == "jpg"
