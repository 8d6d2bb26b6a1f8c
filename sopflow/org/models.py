"""Companies (集团/子公司), departments, positions, people and their roles.

Writes go through `services.py`; reads through `queries.py` and `access.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class Company(TimeStampedModel):
    """A legal entity. `parent` links a subsidiary (子公司) to its group (集团)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    code = models.SlugField(_("编码"), max_length=30, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
        verbose_name=_("上级公司"),
    )
    timezone = models.CharField(_("时区"), max_length=50, default="Asia/Shanghai")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("公司")

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    """A node of a company's department tree. Disabled departments keep their history."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级部门"),
    )
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=40)
    sort_order = models.IntegerField(_("排序"), default=0)
    heads: models.ManyToManyField[User, Any] = models.ManyToManyField(
        "User", blank=True, related_name="headed_departments", verbose_name=_("负责人")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("部门")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="org_department_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Position(TimeStampedModel):
    """A job position (岗位). Templates and training are pushed by position."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="positions")
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=40)
    responsibilities = models.TextField(_("岗位职责"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("岗位")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="org_position_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(self, employee_no: str, password: str | None = None, **fields: object) -> User:
        user = self.model(employee_no=employee_no, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, employee_no: str, password: str | None = None, **fields: object
    ) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(employee_no, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: an employee of one company (system admins may have none).

    Signs in with employee number, phone or e-mail. Disabling (`is_active=False`) keeps every
    row that points at the person; nothing about people is ever deleted.
    """

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    employee_no = models.CharField(_("工号"), max_length=30, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    email = models.EmailField(_("邮箱"), unique=True, null=True, blank=True)
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
        verbose_name=_("公司"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("主部门"),
    )
    secondary_departments = models.ManyToManyField(
        Department, blank=True, related_name="secondary_members", verbose_name=_("兼职部门")
    )
    position = models.ForeignKey(
        Position,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holders",
        verbose_name=_("岗位"),
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("直属上级"),
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)
    language = models.CharField(
        _("界面语言"), max_length=10, choices=Language, default=Language.ZH_HANS
    )
    is_active = models.BooleanField(_("在职"), default=True)
    is_staff = models.BooleanField(_("可进入 Django 管理后台"), default=False)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "employee_no"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("员工")

    def __str__(self) -> str:
        return f"{self.name}（{self.employee_no}）"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class RoleAssignment(TimeStampedModel):
    """A granted role, optionally scoped to one company or one department (and its sub-tree).

    "employee" and "department head" are derived (from being active / from `Department.heads`)
    and are never stored here.
    """

    class Role(models.TextChoices):
        HR_ADMIN = "hr_admin", _("人事管理员")
        PROCESS_ADMIN = "process_admin", _("流程管理员")
        AUDITOR = "auditor", _("审计员")
        SYSTEM_ADMIN = "system_admin", _("系统管理员")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=30, choices=Role)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=True) | Q(company__isnull=False),
                name="org_role_department_needs_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Delegation(TimeStampedModel):
    """An out-of-office delegation (代理): from `starts_on` to `ends_on` (both inclusive, company
    dates), new tasks of `delegator` go to `delegate` instead, for every template or only for
    `template_ids`.

    Rules (enforced in `delegation_services.py`): the delegate is an active colleague of the same
    company; two live delegations of one delegator never overlap in both dates and templates;
    chains stop after one hop (see `delegation.resolve_assignee`). Cancelling sets `cancelled_at`;
    rows are never deleted.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="delegations")
    delegator = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="delegations_given", verbose_name=_("委托人")
    )
    delegate = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="delegations_received", verbose_name=_("代理人")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    applies_to_all_templates = models.BooleanField(_("全部模板"), default=True)
    template_ids = models.JSONField(_("指定模板"), default=list, blank=True)  # FormTemplate pks
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("设置人")
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("取消人"),
    )

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("代理设置")
        indexes = [models.Index(fields=["delegator", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="org_delegation_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="org_delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator_id} → {self.delegate_id} {self.starts_on}–{self.ends_on}"

    def covers_template(self, template_id: int | None) -> bool:
        """True when a task of `template_id` falls under this delegation's template scope."""
        return self.applies_to_all_templates or (
            template_id is not None and template_id in self.template_ids
        )
