"""我的代理 (everybody) and 代理设置 (HR admins): list, set and cancel out-of-office delegates."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.clock import clock
from sopflow.core.errors import DomainError
from sopflow.org import delegation, delegation_access, delegation_services
from sopflow.org.access import default_company_for, manageable_companies
from sopflow.org.models import Company, User

from .forms import DelegationForm


def mine(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    if user.company is None:
        raise Http404
    form = DelegationForm(request.POST or None, company=user.company, with_delegator=False)
    if request.method == "POST" and _create(request, form, delegator=user):
        return redirect("web:delegation-mine")
    rows = delegation.with_template_names(delegation.delegations_of(user))
    return render(request, "web/delegation/mine.html", {
        "form": form, "today": _today(user.company),
        "given": [row for row in rows if row.delegator_id == user.pk],
        "received": [row for row in rows if row.delegate_id == user.pk],
        "can_manage": manageable_companies(user).filter(pk=user.company_id).exists(),
    }, status=422 if form.errors else 200)


def manage(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    company = _managed_company(user)
    form = DelegationForm(request.POST or None, company=company, with_delegator=True)
    if request.method == "POST" and form.is_valid() and _create(
            request, form, delegator=form.cleaned_data["delegator"]):
        return redirect("web:delegation-manage")
    rows = delegation.with_template_names(
        delegation_access.delegations_managed_by(user).filter(company=company)[:200])
    return render(request, "web/delegation/manage.html", {
        "form": form, "company": company, "rows": rows, "today": _today(company),
    }, status=422 if form.errors else 200)


@require_POST
def cancel(request: HttpRequest, delegation_id: int) -> HttpResponse:
    try:
        delegation_services.cancel_delegation(actor=request.user, delegation_id=delegation_id)  # type: ignore[arg-type]  # logged in
        messages.success(request, gettext("代理已取消"))
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    back = "web:delegation-manage" if request.POST.get("back") == "manage" else "web:delegation-mine"
    return redirect(back)


def _create(request: HttpRequest, form: DelegationForm, *, delegator: User) -> bool:
    if not form.is_valid():
        return False
    try:
        delegation_services.create_delegation(
            actor=request.user, delegator=delegator,  # type: ignore[arg-type]  # logged in
            delegate=form.cleaned_data["delegate"], starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"], template_ids=form.template_ids(),
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        form.add_domain_error(error)
        return False
    messages.success(request, gettext("代理已设置"))
    return True


def _managed_company(user: User) -> Company:
    """The company whose delegations an HR admin manages: their own, else the first one."""
    companies = manageable_companies(user)
    own = default_company_for(user)
    company = companies.filter(pk=own.pk).first() if own is not None else None
    company = company or companies.order_by("pk").first()
    if company is None:
        raise Http404
    return company


def _today(company: Company) -> object:
    return clock.now().astimezone(ZoneInfo(company.timezone)).date()
