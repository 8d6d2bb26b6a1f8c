"""Sign-in, sign-out and the personal settings page (language, password, API tokens)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from sopflow.accounts import services as account_services
from sopflow.core.errors import DomainError
from sopflow.org import services as org_services
from sopflow.org.access import can_manage_org, has_role
from sopflow.org.models import RoleAssignment, User


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("工号 / 手机号 / 邮箱"), max_length=120)
    password = forms.CharField(label=gettext_lazy("密码"), widget=forms.PasswordInput, max_length=200)


@login_not_required
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is not None:
            login(request, user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, request.is_secure()
            ):
                target = ""
            return redirect(target or "web:home")
        if getattr(request, "axes_locked_out", False):
            return render(request, "web/accounts/locked_out.html", status=429)
        error = gettext_noop("账号或密码不正确")
    return render(
        request,
        "web/accounts/login.html",
        {"form": form, "error": error},
        status=401 if error else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


def settings_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/accounts/settings.html",
        {
            "tokens": account_services.list_tokens(request.user),  # type: ignore[arg-type]  # logged in
            "languages": request.user.Language.choices,  # type: ignore[union-attr]  # logged in
            "lifetimes": TOKEN_LIFETIMES,
            "max_tokens": account_services.MAX_ACTIVE_TOKENS,
            "admin_links": _admin_links(request.user),  # type: ignore[arg-type]  # logged in
        },
    )


def _admin_links(user: User) -> list[tuple[str, str, str]]:
    """(label, url name, test id) of the settings pages this user may open. Computed here, on
    the settings page only, so other pages pay no role queries."""
    Role = RoleAssignment.Role  # noqa: N806  (the enum's usual short name)
    company = user.company
    links = [(gettext_noop("我的代理"), "web:delegation-mine", "link-delegation")]
    if company is not None and can_manage_org(user, company):
        links += [(gettext_noop("员工代理设置"), "web:delegation-manage", "link-delegation-manage"),
                  (gettext_noop("工作日历"), "web:worktime-calendar", "link-calendar"),
                  (gettext_noop("日历设置"), "web:worktime-settings", "link-calendar-settings")]
    if has_role(user, Role.PROCESS_ADMIN, company=company):
        links += [(gettext_noop("群机器人"), "web:notify-robots", "link-robots"),
                  (gettext_noop("定时提醒"), "web:rules-list", "link-rules"),
                  (gettext_noop("外部 Webhook"), "web:webhooks-list", "link-webhooks")]
    if has_role(user, Role.SYSTEM_ADMIN):
        links.append((gettext_noop("后台任务"), "web:jobs-list", "link-jobs"))
    return links


@require_POST
def language_change(request: HttpRequest) -> HttpResponse:
    try:
        org_services.set_language(actor=request.user, language=request.POST.get("language", ""))  # type: ignore[arg-type]  # logged in
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:settings")


@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    try:
        org_services.set_password(
            actor=request.user,
            employee=request.user,  # type: ignore[arg-type]  # logged in
            old_password=request.POST.get("old_password", ""),
            new_password=request.POST.get("new_password", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:settings")
    request.user.refresh_from_db()  # type: ignore[union-attr]  # logged in
    update_session_auth_hash(request, request.user)  # type: ignore[arg-type]  # logged in
    messages.success(request, gettext("密码已修改"))
    return redirect("web:settings")


TOKEN_LIFETIMES = [
    ("90", gettext_noop("90 天")),
    ("30", gettext_noop("30 天")),
    ("180", gettext_noop("180 天")),
    ("365", gettext_noop("1 年")),
    ("", gettext_noop("永不过期")),
]


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create a token and show its plaintext once; the page is never cached."""
    days = request.POST.get("expires_in_days", "").strip()
    try:
        issued = account_services.create_token(
            actor=request.user,
            name=request.POST.get("name", ""),  # type: ignore[arg-type]  # logged in
            expires_in_days=int(days) if days.isdigit() else None,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:settings")
    response = render(request, "web/accounts/token_created.html", {"issued": issued})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        account_services.revoke_token(actor=request.user, token_id=token_id)  # type: ignore[arg-type]  # logged in
        messages.success(request, gettext("令牌已撤销"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:settings")
