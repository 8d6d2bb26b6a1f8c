"""The delegation form: parses input only; every rule lives in `sopflow.org.delegation_services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from sopflow.org import queries
from sopflow.org.delegation import delegable_templates
from sopflow.org.models import Company, User
from sopflow.web.org.forms import StyledForm


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # stubs' generic
    def label_from_instance(self, obj: User) -> str:
        department = f" · {obj.department.name}" if obj.department_id else ""
        return f"{obj.name}（{obj.employee_no}）{department}"


class DelegationForm(StyledForm):
    """Delegate, dates, template scope and reason; `with_delegator` adds the person (HR page)."""

    SCOPES = [("all", "全部模板"), ("some", "指定模板")]

    delegator = PersonChoiceField(label=gettext_lazy("委托人"), queryset=User.objects.none())
    delegate = PersonChoiceField(label=gettext_lazy("代理人"), queryset=User.objects.none())
    starts_on = forms.DateField(label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    scope = forms.ChoiceField(label=gettext_lazy("适用模板"), choices=SCOPES, initial="all",
                              widget=forms.RadioSelect)
    templates = forms.TypedMultipleChoiceField(label=gettext_lazy("指定模板"), coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=gettext_lazy("事由"), max_length=200, required=False)

    def __init__(self, *args: Any, company: Company, with_delegator: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = queries.list_employees(company).select_related("department")
        self.fields["delegate"].queryset = people  # type: ignore[attr-defined]  # ModelChoiceField
        if with_delegator:
            self.fields["delegator"].queryset = people  # type: ignore[attr-defined]  # ModelChoiceField
        else:
            del self.fields["delegator"]
        self.fields["templates"].choices = delegable_templates(company.pk)  # type: ignore[attr-defined]  # ChoiceField
        for name in ("scope", "templates"):  # radios and checkboxes style themselves in the template
            self.fields[name].widget.attrs.pop("class", None)

    def template_ids(self) -> list[int] | None:
        """None for "all templates" (the service refuses "some" with none ticked)."""
        if self.cleaned_data["scope"] == "all":
            return None
        return list(self.cleaned_data["templates"])
