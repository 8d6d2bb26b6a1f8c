"""The auditor pages: search and filter the trail, one event in detail, verify the chain, export CSV.

Only auditors and system admins (global or of a company) get in; company-scoped ones see their
company's events only (`sopflow.audit.access`). Everyone else gets 403.
"""

from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sopflow.audit import access, labels, queries
from sopflow.audit.models import AuditEvent
from sopflow.audit.services import record_export
from sopflow.org.models import User

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=100)
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False)
    actor = forms.TypedChoiceField(label=gettext_lazy("操作人"), required=False, coerce=int, empty_value=None)
    since = forms.DateField(label=gettext_lazy("开始日期"), required=False)
    until = forms.DateField(label=gettext_lazy("结束日期"), required=False)

    def __init__(self, data: Any, *, base: QuerySet[AuditEvent]) -> None:
        super().__init__(data)
        action = cast(forms.ChoiceField, self.fields["action"])
        actor = cast(forms.ChoiceField, self.fields["actor"])
        action.choices = [("", "全部操作"), *queries.action_choices(base)]
        actor.choices = [("", "全部操作人"), *queries.actor_choices(base)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "结束日期不能早于开始日期")
        return cleaned

    def search_arguments(self) -> dict[str, Any]:
        """Keyword arguments for `queries.search_events`; invalid fields are left out."""
        self.is_valid()  # fields with errors are absent from cleaned_data
        values = self.cleaned_data
        return {
            "text": values.get("q") or "",
            "action": values.get("action") or "",
            "actor_id": values.get("actor"),
            "since": values.get("since"),
            "until": values.get("until"),
        }


@dataclass(frozen=True, slots=True)
class EventRow:
    event: AuditEvent
    action_label: str
    channel_label: str
    changes: list[tuple[str, str]]


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    base = _visible_events(request)
    form = AuditFilterForm(request.GET or None, base=base)
    arguments = form.search_arguments() if request.GET else _no_filters()
    events = queries.search_events(base=base, **arguments)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(event) for event in page.object_list],
        "filter_query": _query_without_page(request),
    }
    template = "web/audit/_results.html" if request.htmx else "web/audit/audit_list.html"  # type: ignore[attr-defined]  # django-htmx
    return render(request, template, context)


@require_GET
def audit_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _visible_events(request).select_related("actor").filter(pk=event_id).first()
    if event is None:
        raise Http404("审计记录不存在")
    related = []
    if event.object_type and event.object_id:
        related = [
            _row(other)
            for other in _visible_events(request)
            .filter(object_type=event.object_type, object_id=event.object_id)
            .exclude(pk=event.pk)
            .select_related("actor")
            .order_by("-pk")[:20]
        ]
    return render(
        request,
        "web/audit/audit_detail.html",
        {
            "row": _row(event),
            "event": event,
            "related": related,
            "changes_json": json.dumps(event.changes, ensure_ascii=False, indent=2),
        },
    )


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    _visible_events(request)
    result = queries.verify_chain()
    template = "web/audit/_verify_result.html" if request.htmx else "web/audit/audit_verify.html"  # type: ignore[attr-defined]  # django-htmx
    return render(request, template, {"result": result})


@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    base = _visible_events(request)
    form = AuditFilterForm(request.GET or None, base=base)
    arguments = form.search_arguments() if request.GET else _no_filters()
    events = queries.search_events(base=base, **arguments)
    record_export(
        actor=request.user, filters=_jsonable_filters(arguments), row_count=events.count()
    )
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in queries.export_rows(events))
    response = StreamingHttpResponse(_with_bom(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- helpers ----------------------------------------------------------------------------------


def _visible_events(request: HttpRequest) -> QuerySet[AuditEvent]:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    if not access.can_view_audit(user):
        raise PermissionDenied("只有审计员或系统管理员可以查看审计日志")
    return access.events_visible_to(user)


def _row(event: AuditEvent) -> EventRow:
    return EventRow(
        event,
        labels.action_label(event.action),
        labels.channel_label(event.channel),
        labels.summarize_changes(event.changes),
    )


def _no_filters() -> dict[str, Any]:
    return {"text": "", "action": "", "actor_id": None, "since": None, "until": None}


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _jsonable_filters(arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in arguments.items()
        if value not in (None, "")
    }


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _with_bom(lines: Any) -> Any:
    yield codecs.BOM_UTF8.decode("utf-8")
    yield from lines
