"""Checking an uploaded file by its content, not its name, and cleaning images.

`inspect_upload` either returns the bytes to store (images re-encoded by Pillow, EXIF gone, plus
a thumbnail) or raises ValidationFailed with a message that says what to do. It never writes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

import puremagic
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from sopflow.core.errors import ValidationFailed

DEFAULT_ACCEPT = ("pdf", "word", "excel", "jpg", "png")
IMAGE_ACCEPT = ("jpg", "png")
DEFAULT_MAX_SIZE_MB = 10
THUMBNAIL_SIZE = (320, 320)
MAX_IMAGE_PIXELS = 40_000_000

KIND_LABELS = {"pdf": "PDF", "word": "Word", "excel": "Excel", "jpg": "JPG", "png": "PNG"}
EXTENSIONS = {
    ".pdf": "pdf", ".doc": "word", ".docx": "word", ".xls": "excel", ".xlsx": "excel",
    ".jpg": "jpg", ".jpeg": "jpg", ".png": "png",
}
CONTENT_TYPES = {
    "pdf": {"application/pdf"},
    "word": {"application/msword",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "excel": {"application/vnd.ms-excel", "application/excel",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    "jpg": {"image/jpeg"},
    "png": {"image/png"},
}
DETECTED_LABELS = {
    "text/html": "网页（HTML）", "application/x-dosexec": "可执行程序", "application/x-msdownload":
    "可执行程序", "application/zip": "压缩包", "text/plain": "纯文本", "image/gif": "GIF 图片",
    "image/webp": "WebP 图片", "image/heif": "HEIC 图片", "image/heic": "HEIC 图片",
}


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    extension: str
    content_type: str
    data: bytes
    sha256: str
    thumbnail: bytes | None


def inspect_upload(
    name: str, data: bytes, *, accept: list[str] | tuple[str, ...] | None = None,
    max_size_mb: int | float | None = None,
) -> CheckedFile:
    """Check name, size and content of one upload; raise ValidationFailed with a clear message."""
    accept = tuple(accept or DEFAULT_ACCEPT)
    limit = float(max_size_mb or DEFAULT_MAX_SIZE_MB)
    display = PurePath(name).name or "未命名文件"
    if len(data) > limit * 1024 * 1024:
        raise ValidationFailed(
            gettext("文件「%(display)s」大小为 %(value)s MB，超过 %(limit)s MB 的上限，请压缩后再上传") % {"display": display, "value": format(len(data) / 1024 / 1024, '.1f'), "limit": format(limit, 'g')}, code="file_too_large")
    if not data:
        raise ValidationFailed(gettext("文件「%(display)s」是空文件，请重新选择") % {"display": display}, code="file_empty")
    extension = PurePath(display).suffix.lower()
    kind = EXTENSIONS.get(extension)
    allowed = "、".join(KIND_LABELS.get(item, item) for item in accept)
    if kind is None or kind not in accept:
        raise ValidationFailed(
            gettext("不支持「%(value)s」文件，这里只能上传：%(allowed)s") % {"value": extension or '无扩展名', "allowed": allowed},
            code="file_type_not_allowed")
    detected = _sniff(display, data)
    if detected not in CONTENT_TYPES[kind]:
        actual = DETECTED_LABELS.get(detected, "其他类型" if detected else "无法识别的内容")
        raise ValidationFailed(
            gettext("文件「%(display)s」的内容不是 %(value)s（实际是%(actual)s），请上传真实的 %(value)s 文件") % {"display": display, "value": KIND_LABELS[kind], "actual": actual}, code="file_content_mismatch")
    thumbnail = None
    if kind == "pdf":
        _check_pdf(display, data)
    if kind in IMAGE_ACCEPT:
        data, thumbnail = _reencode(display, data, kind)
    return CheckedFile(kind=kind, extension=".jpg" if kind == "jpg" else extension,
                       content_type=detected, data=data, sha256=hashlib.sha256(data).hexdigest(),
                       thumbnail=thumbnail)


def _sniff(name: str, data: bytes) -> str:
    # Windows programs (and DLLs) start with "MZ"; puremagic ranks MIME-less formats that share
    # the prefix first, so the refusal would say "无法识别的内容" instead of "可执行程序".
    if data.startswith(b"MZ"):
        return "application/x-dosexec"
    # Always pass the filename: without it puremagic reports .xlsx and .zip as .docx.
    try:
        return str(puremagic.from_stream(io.BytesIO(data), mime=True, filename=name) or "")
    except puremagic.PureError:
        return ""


def _check_pdf(name: str, data: bytes) -> None:
    tail = data[-2048:]
    if not data.startswith(b"%PDF-") or b"%%EOF" not in tail or b"startxref" not in data[-4096:]:
        raise ValidationFailed(
            gettext("文件「%(name)s」已损坏或不完整（PDF 缺少结尾标记），无法打开，请重新导出或下载后再上传") % {"name": name},
            code="file_corrupt")


def _reencode(name: str, data: bytes, kind: str) -> tuple[bytes, bytes]:
    """Re-encode through Pillow: strips EXIF/GPS and anything smuggled after the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationFailed(gettext("图片「%(name)s」尺寸过大，请缩小后再上传") % {"name": name},
                                       code="image_too_large")
            image = ImageOps.exif_transpose(image)
            clean = io.BytesIO()
            if kind == "jpg":
                image.convert("RGB").save(clean, "JPEG", quality=85, optimize=True)
            else:
                image.save(clean, "PNG", optimize=True)
            thumb = image.convert("RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            small = io.BytesIO()
            thumb.save(small, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationFailed(gettext("图片「%(name)s」无法打开，可能已损坏，请重新拍摄或选择其他图片") % {"name": name},
                               code="image_corrupt") from error
    return clean.getvalue(), small.getvalue()
