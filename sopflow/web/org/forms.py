"""Forms for the org admin pages: they parse input only; every rule lives in `sopflow.org.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopflow.core.errors import DomainError
from sopflow.org import queries
from sopflow.org.models import Company, Department, Position, RoleAssignment, User
from sopflow.org.spreadsheets import MAX_UPLOAD_BYTES


class StyledForm(forms.Form):
    """Adds Tabler classes to widgets and maps a service's DomainError onto a field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)


class DepartmentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # stubs' generic
    def label_from_instance(self, obj: Department) -> str:
        suffix = "" if obj.is_active else "（已停用）"
        return f"{obj.name}（{obj.code}）{suffix}"


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # stubs' generic
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # stubs' generic
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name}（{obj.employee_no}）"


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # stubs' generic
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name}（{obj.employee_no}）"


class DepartmentForm(StyledForm):
    name = forms.CharField(label=_("部门名称"), max_length=100)
    code = forms.CharField(label=_("部门编码"), max_length=40)
    parent = DepartmentChoiceField(label=_("上级部门"), queryset=Department.objects.none(),
                                   required=False, empty_label=_("（无，作为一级部门）"))
    sort_order = forms.IntegerField(label=_("排序"), initial=0, help_text=_("越小越靠前"))
    heads = PersonMultipleChoiceField(label=_("负责人"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, company: Company, department: Department | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = queries.list_departments(company)
        self.fields["parent"].queryset = (  # type: ignore[attr-defined]  # ModelChoiceField
            parents.exclude(pk=department.pk) if department else parents)
        self.fields["heads"].queryset = queries.list_employees(company)  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["heads"].widget.attrs["size"] = 6


class PositionForm(StyledForm):
    name = forms.CharField(label=_("岗位名称"), max_length=100)
    code = forms.CharField(label=_("岗位编码"), max_length=40,
                           help_text=_("创建后不能修改"))
    responsibilities = forms.CharField(label=_("岗位职责"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


class EmployeeForm(StyledForm):
    employee_no = forms.CharField(label=_("工号"), max_length=30)
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    department = DepartmentChoiceField(label=_("主部门"), queryset=Department.objects.none(),
                                       required=False)
    secondary_departments = DepartmentMultipleChoiceField(
        label=_("兼职部门"), queryset=Department.objects.none(), required=False)
    position = forms.ModelChoiceField(label=_("岗位"), queryset=Position.objects.none(),
                                      required=False)
    manager = PersonChoiceField(label=_("直属上级"), queryset=User.objects.none(), required=False)
    title = forms.CharField(label=_("职务"), max_length=50, required=False)
    hired_on = forms.DateField(label=_("入职日期"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    password = forms.CharField(label=_("初始密码"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("留空则账号暂不能登录，之后可由管理员重置密码"))

    def __init__(self, *args: Any, company: Company, employee: User | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = queries.list_departments(company, include_inactive=False)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["secondary_departments"].queryset = departments  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["secondary_departments"].widget.attrs["size"] = 5
        self.fields["position"].queryset = queries.positions_of(company).filter(is_active=True)  # type: ignore[attr-defined]  # ModelChoiceField
        managers = queries.list_employees(company)
        self.fields["manager"].queryset = (  # type: ignore[attr-defined]  # ModelChoiceField
            managers.exclude(pk=employee.pk) if employee else managers)
        if employee is not None:
            del self.fields["password"]

    def employee_changes(self) -> dict[str, Any]:
        """The cleaned values the services take as `changes` (secondary departments apart)."""
        data = dict(self.cleaned_data)
        data.pop("secondary_departments", None)
        data.pop("password", None)
        return data


class PasswordResetForm(StyledForm):
    new_password = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput,
                                   help_text=_("至少 8 位，不能全是数字"))


class RoleForm(StyledForm):
    role = forms.ChoiceField(label=_("角色"), choices=RoleAssignment.Role.choices)
    department = DepartmentChoiceField(label=_("范围"), queryset=Department.objects.none(),
                                       required=False, empty_label=_("整个公司"))

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = queries.list_departments(  # type: ignore[attr-defined]  # ModelChoiceField
            company, include_inactive=False)


class ImportForm(StyledForm):
    KINDS = [("employees", _("员工")), ("departments", _("部门")), ("positions", _("岗位"))]

    file = forms.FileField(label=_("文件"), widget=forms.ClearableFileInput(attrs={
        "accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"}),
        help_text=_(".xlsx（含部门、岗位、员工三个工作表）或 .csv，最大 5 MB"))
    kind = forms.ChoiceField(label=_("CSV 文件的内容"), choices=KINDS, initial="employees",
                             help_text=_("仅 CSV 需要选择；.xlsx 按工作表名称识别"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件不能超过 5 MB"))
        return upload
