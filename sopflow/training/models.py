"""Training: courses (lessons, practice, question bank), quiz attempts, certificates,
assignments, onboarding programmes, gate exemptions and error-driven retraining rules.

Writes go through `services.py`; reads through `queries.py` and `access.py`. Quiz drawing and
scoring is pure Python in `quiz.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class Course(TimeStampedModel):
    """A course, usually built from one SOP template. With `is_gate` every linked template needs a
    valid certificate of this course before anyone can start or submit it."""

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("课程名称"), max_length=100)
    description = models.TextField(_("简介"), blank=True)
    templates = models.ManyToManyField(
        "form_templates.FormTemplate", blank=True, related_name="courses", verbose_name=_("关联模板"))
    is_gate = models.BooleanField(_("通过考试后才能发起关联表单"), default=False)
    pass_mark = models.PositiveSmallIntegerField(_("及格分"), default=80)
    questions_per_attempt = models.PositiveSmallIntegerField(_("每次抽题数"), default=10)
    max_attempts = models.PositiveSmallIntegerField(
        _("考试次数上限"), default=0, help_text=_("每轮（上次通过或最近一次分配之后）最多考几次；0 = 不限"))
    cooldown_minutes = models.PositiveIntegerField(_("未通过后需等待（分钟）"), default=30)
    validity_months = models.PositiveSmallIntegerField(_("证书有效期（月）"), default=12)
    practice_template = models.ForeignKey(
        "form_templates.FormTemplate", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("练习表单"))
    practice_brief = models.TextField(_("练习题说明"), blank=True)
    practice_expected = models.JSONField(_("练习标准答案"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("课程")

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """One step of a course, shown in `order`: Markdown text, a file (PDF previewed in the
    browser, Office downloaded) or a video (uploaded file or a link)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("图文")
        FILE = "file", _("文档")
        VIDEO = "video", _("视频")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    title = models.CharField(_("标题"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind, default=Kind.TEXT)
    body = models.TextField(_("正文（Markdown）"), blank=True)
    file_path = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    file_kind = models.CharField(max_length=10, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    video_url = models.URLField(_("视频链接"), blank=True)

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name = _("课时")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A quiz question in a course's bank. `correct` holds indexes into `options`."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        TRUE_FALSE = "true_false", _("判断")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("题型"), max_length=12, choices=Kind, default=Kind.SINGLE)
    text = models.TextField(_("题目"))
    options = models.JSONField(_("选项"), default=list)
    correct = models.JSONField(_("正确答案"), default=list)
    explanation = models.TextField(_("解析"), blank=True)
    source_field = models.CharField(_("来源字段"), max_length=100, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["course", "pk"]
        verbose_name = _("题目")

    def __str__(self) -> str:
        return self.text[:40]


class Attempt(models.Model):
    """One quiz attempt. `drawn` is the snapshot of the questions drawn, with options in the
    shuffled order shown and the keys mapped to that order, so scoring never depends on later
    edits of the bank. `answers` maps question id (as text) to displayed option indexes."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("答题中")
        SUBMITTED = "submitted", _("已交卷")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="training_attempts")
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.IN_PROGRESS)
    drawn = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True)
    is_passed = models.BooleanField(_("通过"), default=False)
    feedback = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("考试记录")
        indexes = [models.Index(fields=["user", "course", "status"])]

    def __str__(self) -> str:
        return f"{self.course} · {self.user_id} · {self.score}"


class PracticeRun(models.Model):
    """One check of the practice exercise; `mistakes` lists each one found."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="practice_runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_passed = models.BooleanField(default=False)
    mistakes = models.JSONField(default=list)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-pk"]
        verbose_name = _("练习记录")

    def __str__(self) -> str:
        return f"{self.course_id} · {self.user_id}"


class Certificate(models.Model):
    """Proof that a person passed a course; one row per person and course, renewed on each pass.
    Valid = active and not expired; suspended by error-driven retraining until passed again."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        SUSPENDED = "suspended", _("已暂停")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="training_certificates")
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.ACTIVE)
    score = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发证时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    suspended_reason = models.CharField(_("暂停原因"), max_length=300, blank=True)
    reminded_30_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "pk"]
        verbose_name = _("证书")
        constraints = [models.UniqueConstraint(fields=["course", "user"],
                                               name="training_certificate_unique")]

    def __str__(self) -> str:
        return f"{self.course} · {self.user_id}"

    def is_valid_at(self, moment: object) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at > moment  # type: ignore[operator]  # datetime


class OnboardingProgramme(TimeStampedModel):
    """The ordered courses a new holder of `position` must finish within `within_days`."""

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    position = models.OneToOneField("org.Position", on_delete=models.CASCADE,
                                    related_name="onboarding_programme", verbose_name=_("岗位"))
    name = models.CharField(_("名称"), max_length=100)
    within_days = models.PositiveSmallIntegerField(_("完成期限（天）"), default=30)
    courses = models.ManyToManyField(Course, through="ProgrammeCourse", related_name="+")

    class Meta:
        verbose_name = _("入职培训计划")

    def __str__(self) -> str:
        return self.name


class ProgrammeCourse(models.Model):
    programme = models.ForeignKey(OnboardingProgramme, on_delete=models.CASCADE,
                                  related_name="items")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme", "course"],
                                               name="training_programme_course_unique")]

    def __str__(self) -> str:
        return f"{self.programme_id} · {self.course_id}"


class ProgrammeEnrollment(models.Model):
    """A person was given a programme (once per person and programme: the sweep's idempotency)."""

    programme = models.ForeignKey(OnboardingProgramme, on_delete=models.CASCADE,
                                  related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrolled_at = models.DateTimeField()
    # False for people who already held the position when the programme was created.
    is_assigned = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "user"],
                                               name="training_enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.programme_id} · {self.user_id}"


class Assignment(models.Model):
    """A person must take a course by `due_at`. At most one open assignment per person and
    course; passing the quiz completes it."""

    class Status(models.TextChoices):
        OPEN = "open", _("待完成")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    class Reason(models.TextChoices):
        MANUAL = "manual", _("指派")
        ONBOARDING = "onboarding", _("入职培训")
        RECERTIFICATION = "recertification", _("年度复训")
        SOP_CHANGED = "sop_changed", _("SOP 更新")
        ERRORS = "errors", _("差错复训")

    ALLOWED = {
        Status.OPEN: {Status.COMPLETED, Status.CANCELLED},
    }

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="training_assignments")
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.OPEN)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason, default=Reason.MANUAL)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("分配时间"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["status", "due_at", "order", "pk"]
        verbose_name = _("培训任务")
        constraints = [models.UniqueConstraint(
            fields=["course", "user"], condition=models.Q(status="open"),
            name="training_one_open_assignment")]

    def __str__(self) -> str:
        return f"{self.course} → {self.user_id}"


class Exemption(models.Model):
    """A process admin lets one person use a gated template without the certificate, until
    `expires_at` (reason required, audited)."""

    template = models.ForeignKey("form_templates.FormTemplate", on_delete=models.CASCADE,
                                 related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("原因"), max_length=300)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("有效至"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = _("考试豁免")

    def __str__(self) -> str:
        return f"{self.template_id} · {self.user_id}"


class RetrainingRule(TimeStampedModel):
    """"`threshold` returns or rejections of `template` with `reason_category` within
    `window_days` → assign `course` (and optionally suspend its certificate)"."""

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey("form_templates.FormTemplate", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("模板"))
    reason_category = models.CharField(_("退回/驳回原因"), max_length=100)
    threshold = models.PositiveSmallIntegerField(_("次数"), default=3)
    window_days = models.PositiveSmallIntegerField(_("天数"), default=30)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("复训课程"))
    suspend_certificate = models.BooleanField(_("复训通过前暂停证书"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("差错复训规则")

    def __str__(self) -> str:
        return f"{self.template} · {self.reason_category} ×{self.threshold}/{self.window_days}天"


class ErrorRecord(models.Model):
    """A return or rejection of someone's submission, with its reason category. `source_key`
    (e.g. "workflow.event:42") keeps recording idempotent."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("退回")
        REJECTED = "rejected", _("驳回")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey("form_templates.FormTemplate", on_delete=models.CASCADE,
                                 related_name="+")
    reason_category = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind)
    occurred_at = models.DateTimeField()
    source_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["user", "template", "reason_category", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.reason_category} · {self.user_id}"


class RuleTrigger(models.Model):
    """A rule fired for a person; errors up to `triggered_at` are not counted again."""

    rule = models.ForeignKey(RetrainingRule, on_delete=models.CASCADE, related_name="triggers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    triggered_at = models.DateTimeField()
    error_count = models.PositiveSmallIntegerField()
    assignment = models.ForeignKey(Assignment, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-triggered_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rule_id} · {self.user_id}"


class SweepCursor(models.Model):
    """How far a sweep has read an append-only table (e.g. workflow events)."""

    name = models.CharField(max_length=100, unique=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"
