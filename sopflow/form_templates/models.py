"""SOP templates, their immutable published versions, submissions and uploaded files.

Writes go through `services.py` (a published `TemplateVersion` is never changed there);
reads through `queries.py` and `access.py`. The form schema itself is handled by the pure
`schema` package; these models only store its JSON.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class FormTemplate(TimeStampedModel):
    """One SOP form of a company (费用报销, 请假 …): metadata plus a pointer to its current version.

    `scope` says who may start it (JSON, see `access.templates_startable_by`)::

        {"everyone": true}
        {"departments": [{"id": 3, "include_children": true}], "positions": [5],
         "roles": ["process_admin"], "users": [12]}
    """

    class Category(models.TextChoices):
        ADMINISTRATION = "行政", _("行政")
        HR = "人事", _("人事")
        FINANCE = "财务", _("财务")
        MARKETING = "市场", _("市场")
        SALES = "销售", _("销售")
        IT = "IT", "IT"
        GENERAL = "通用", _("通用")

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="form_templates"
    )
    code = models.SlugField(_("编码"), max_length=60)
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("分类"), max_length=10, choices=Category, default=Category.GENERAL)
    icon = models.CharField(_("图标"), max_length=50, default="ti-file-text")
    description = models.CharField(_("简介"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_form_templates",
        verbose_name=_("负责人"),
    )
    scope = models.JSONField(_("可发起范围"), default=dict, blank=True)
    current_version = models.ForeignKey(
        "TemplateVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("当前版本"),
    )
    # Filled in by the workflow issue (a link to the approval flow this template runs).
    workflow = models.JSONField(_("审批流程"), null=True, blank=True)
    requires_ack = models.BooleanField(_("新版本需确认已阅读"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["category", "pk"]
        verbose_name = _("表单模板")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="form_template_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """A numbered version of a template's schema and SOP text. Published versions never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.DRAFT)
    schema = models.JSONField(_("表单结构"), default=dict)
    sop_instructions = models.TextField(_("SOP 说明"), blank=True)
    change_summary = models.TextField(_("变更说明"), blank=True)
    changes = models.JSONField(_("字段变更"), default=list, blank=True)
    requires_retraining = models.BooleanField(_("需要重新培训"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["template", "number"]
        verbose_name = _("模板版本")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Submission(models.Model):
    """A filled form, pinned to the version it was started with. `revision` guards concurrent edits."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        FormTemplate, on_delete=models.PROTECT, related_name="submissions"
    )
    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="submissions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="form_submissions"
    )
    status = models.CharField(_("状态"), max_length=30, choices=Status, default=Status.DRAFT)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    values = models.JSONField(_("填写内容"), default=dict, blank=True)
    computed = models.JSONField(_("计算结果"), default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("表单提交")
        indexes = [models.Index(fields=["author", "status"])]

    def __str__(self) -> str:
        return self.title or f"{self.template.name} #{self.pk}"


class Attachment(models.Model):
    """An uploaded file, checked by content. Stored privately; served only through a checked view."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        WORD = "word", "Word"
        EXCEL = "excel", "Excel"
        JPG = "jpg", "JPG"
        PNG = "png", "PNG"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="form_attachments"
    )
    company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    field_key = models.CharField(_("字段"), max_length=100)
    original_name = models.CharField(_("文件名"), max_length=255)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=300)
    thumbnail_path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("附件")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.kind in {self.Kind.JPG, self.Kind.PNG}


class VersionAcknowledgement(models.Model):
    """A person confirmed "已阅读" for a published version (when the template asks for it)."""

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        verbose_name = _("版本已阅读确认")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="version_ack_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} 已阅读 v{self.version_id}"


class TemplateNotice(models.Model):
    """In-app notice "模板有新版本" for one person (until the notifications issue generalises it)."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="template_notices"
    )
    summary = models.TextField(_("变更摘要"))
    requires_ack = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("模板更新通知")
        constraints = [
            models.UniqueConstraint(fields=["version", "recipient"], name="template_notice_unique"),
        ]

    def __str__(self) -> str:
        return self.summary[:50]
