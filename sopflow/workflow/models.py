"""Persistence of approval workflows: definitions and their immutable versions, running instances
(engine state + denormalised columns for lists), task rows for the inbox, the timeline, CC rows
and idempotency keys. All writes go through `services.py` and `store.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkflowDefinition(models.Model):
    """The approval flow of one form template in one company (versions hold the route)."""

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    template = models.OneToOneField(
        "form_templates.FormTemplate", on_delete=models.CASCADE, related_name="workflow_definition"
    )
    name = models.CharField(_("名称"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审批流程")

    def __str__(self) -> str:
        return self.name


class DefinitionVersion(models.Model):
    """One numbered route (engine JSON in `spec["flow"]`, plus reason lists and options).

    Published versions never change; an instance pins the version it started with.
    """

    definition = models.ForeignKey(
        WorkflowDefinition, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    template_version = models.ForeignKey(
        "form_templates.TemplateVersion", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    spec = models.JSONField(_("流程定义"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        ordering = ["definition", "number"]
        verbose_name = _("流程版本")
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="workflow_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.definition} v{self.number}"


class Instance(models.Model):
    """One submission going through its route. `state` is the engine's (small) state;
    `status`, `current_nodes` and `status_text` are copies for lists; `revision` guards writes."""

    class Status(models.TextChoices):
        RUNNING = "running", _("审批中")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        RETURNED = "returned", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")
        TERMINATED = "terminated", _("已终止")

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    submission = models.OneToOneField(
        "form_templates.Submission", on_delete=models.PROTECT, related_name="workflow_instance"
    )
    template = models.ForeignKey(
        "form_templates.FormTemplate", on_delete=models.PROTECT, related_name="+"
    )
    definition_version = models.ForeignKey(
        DefinitionVersion, on_delete=models.PROTECT, related_name="instances"
    )
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workflow_instances"
    )
    title = models.CharField(_("标题"), max_length=200)
    state = models.JSONField(default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.RUNNING)
    status_text = models.CharField(_("当前状态"), max_length=200, blank=True)
    current_nodes = models.CharField(_("当前节点"), max_length=300, blank=True)
    urgent = models.BooleanField(_("加急"), default=False)
    revision = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    last_urged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("审批实例")
        indexes = [
            models.Index(fields=["initiator", "-started_at"], name="wf_instance_mine"),
            models.Index(fields=["company", "status"], name="wf_instance_company"),
        ]

    def __str__(self) -> str:
        return self.title


class ApprovalTask(models.Model):
    """One person's share of a node; rows exist so the inbox is plain indexed SQL."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        SUSPENDED = "suspended", _("等待加签人")
        APPROVED = "approved", _("已同意")
        REJECTED = "rejected", _("已驳回")
        RETURNED = "returned", _("已退回")
        COMPLETED = "completed", _("已办理")
        TRANSFERRED = "transferred", _("已转交")
        CANCELLED = "cancelled", _("已取消")
        SKIPPED = "skipped", _("已跳过")

    OPEN_STATUSES = (Status.OPEN, Status.SUSPENDED)

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="tasks")
    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(_("引擎任务号"), max_length=20)
    node_id = models.CharField(max_length=60)
    node_name = models.CharField(_("节点"), max_length=100)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_tasks"
    )
    delegated_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status, default=Status.OPEN)
    reason = models.CharField(_("分配原因"), max_length=200, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    opened_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        verbose_name = _("审批任务")
        indexes = [
            models.Index(fields=["assignee", "status", "opened_at"], name="wf_task_inbox"),
            models.Index(fields=["assignee", "decided_at", "id"], name="wf_task_done"),
            # The same two for tasks delegated away (decision 0009); partial: most rows
            # have no delegation, so writes of ordinary tasks do not touch them.
            models.Index(fields=["delegated_from", "status", "opened_at"],
                         name="wf_task_deleg_inbox",
                         condition=models.Q(delegated_from__isnull=False)),
            models.Index(fields=["delegated_from", "decided_at", "id"], name="wf_task_deleg_done",
                         condition=models.Q(delegated_from__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["instance", "key"], name="wf_task_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.node_name} · {self.assignee_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class InstanceEvent(models.Model):
    """The timeline: one row per engine event (who, when, what, comment, diff, attachments)."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="events")
    verb = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField()
    node_id = models.CharField(max_length=60, blank=True)
    node_name = models.CharField(max_length=100, blank=True)
    comment = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("审批记录")

    def __str__(self) -> str:
        return self.verb


class CarbonCopy(models.Model):
    """抄送: someone told about an item (at a CC node); `read_at` once they opened it."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="carbon_copies")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workflow_ccs"
    )
    node_id = models.CharField(max_length=60)
    node_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("抄送")
        indexes = [models.Index(fields=["user", "-created_at"], name="wf_cc_user")]
        constraints = [
            models.UniqueConstraint(fields=["instance", "user", "node_id"], name="wf_cc_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.instance_id} → {self.user_id}"


class IdempotencyKey(models.Model):
    """A POST already handled for (user, key): the same body answers the stored response."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=200)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="wf_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return self.key
