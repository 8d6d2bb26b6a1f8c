"""后台任务 (system admins): failed jobs, deliveries and timers with their errors and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError
from sopflow.notify import services as notify_services
from sopflow.org.access import has_role
from sopflow.org.models import RoleAssignment
from sopflow.scheduling import queries, services


def _require_admin(request: HttpRequest) -> None:
    if not has_role(request.user, RoleAssignment.Role.SYSTEM_ADMIN):  # type: ignore[arg-type]  # logged in
        raise Http404


def jobs_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "web/scheduling/jobs.html", queries.failures())


@require_POST
def job_retry(request: HttpRequest, job_run_id: int) -> HttpResponse:
    return _retry(request, lambda: services.retry_job(actor=request.user, job_run_id=job_run_id))  # type: ignore[arg-type]  # logged in


@require_POST
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    return _retry(request, lambda: notify_services.retry_delivery(actor=request.user, delivery_id=delivery_id))  # type: ignore[arg-type]  # logged in


@require_POST
def timer_retry(request: HttpRequest, timer_id: int) -> HttpResponse:
    return _retry(request, lambda: services.retry_timer(actor=request.user, timer_id=timer_id))  # type: ignore[arg-type]  # logged in


def _retry(request: HttpRequest, action: object) -> HttpResponse:
    _require_admin(request)
    try:
        action()  # type: ignore[operator]  # a zero-argument callable
        messages.success(request, gettext("已重新排队"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:jobs-list")
