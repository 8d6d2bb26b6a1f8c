"""The bell: unread badge (polled by htmx), the list, read marks, deep links, preferences."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, NotFound
from sopflow.notify import queries, services
from sopflow.notify.kinds import KINDS
from sopflow.notify.models import Notification, NotificationPreference


def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "web/notify/_badge.html",
                  {"unread": queries.unread_count(request.user)})  # type: ignore[arg-type]  # logged in


def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(queries.notifications_for(request.user, unread_only=unread_only), 30).get_page(  # type: ignore[arg-type]  # logged in
        request.GET.get("page"))
    return render(request, "web/notify/list.html", {"page": page, "unread_only": unread_only})


def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Deep link: mark read, then go to the item (site-relative links only)."""
    notification = _mark_read(request, notification_id)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/notifications/"
    return redirect(target)


@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = _mark_read(request, notification_id)
    response = render(request, "web/notify/_row.html", {"item": notification})
    response["HX-Trigger"] = "inbox-changed"
    return response


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(actor=request.user)  # type: ignore[arg-type]  # logged in
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("web:notify-list")


def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        try:
            for kind in KINDS.values():
                services.set_preference(
                    actor=user, kind=kind.key, channel=NotificationPreference.Channel.EMAIL,  # type: ignore[arg-type]  # logged in
                    is_enabled=request.POST.get(f"email:{kind.key}") == "on",
                    frequency=request.POST.get(f"frequency:{kind.key}", "immediate")
                    if kind.can_digest else "immediate",
                )
        except DomainError as failure:
            error = failure.message
        else:
            return redirect("web:notify-preferences")
    stored = queries.preferences_for(user)  # type: ignore[arg-type]  # logged in
    rows = []
    for kind in KINDS.values():
        preference = stored.get((kind.key, NotificationPreference.Channel.EMAIL))
        rows.append({
            "kind": kind,
            "email": preference.is_enabled if preference else True,
            "frequency": preference.frequency if preference else "immediate",
        })
    return render(request, "web/notify/preferences.html", {
        "rows": rows, "error": error, "frequencies": NotificationPreference.Frequency.choices,
    }, status=422 if error else 200)


def _mark_read(request: HttpRequest, notification_id: int) -> Notification:
    try:
        return services.mark_read(actor=request.user, notification_id=notification_id)  # type: ignore[arg-type]  # logged in
    except NotFound:
        raise Http404 from None
