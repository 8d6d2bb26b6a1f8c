"""Spreadsheet import and export of the organisation (HR admins and system admins)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sopflow.core.clock import clock
from sopflow.org import importing
from sopflow.org.models import User

from ..forms import ImportForm
from ..responses import FORM_ERRORS, chosen_company, org_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@org_errors
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload form; after a POST the same page shows the error table or the counts."""
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    company = chosen_company(request, action="manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = importing.import_file(actor=user, company=company,
                                           data=form.cleaned_data["file"].read(),
                                           kind=form.cleaned_data["kind"])
        except FORM_ERRORS as error:
            form.add_domain_error(error)
    failed = bool(form.errors) or (report is not None and not report.is_applied)
    return render(request, "web/org/import.html", {
        "company": company, "form": form, "report": report,
    }, status=422 if failed else 200)


@org_errors
def import_template(request: HttpRequest) -> HttpResponse:
    chosen_company(request, action="manage")
    return _download(importing.template_workbook(), _("组织架构导入模板.xlsx"), XLSX)


@org_errors
def export(request: HttpRequest) -> HttpResponse:
    """`?format=csv` gives the employees as CSV; otherwise the full workbook."""
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    company = chosen_company(request, action="manage")
    stamp = clock.now().strftime("%Y%m%d")
    if request.GET.get("format") == "csv":
        data = importing.export_employees_csv(actor=user, company=company)
        return _download(data, f"{company.code}-员工-{stamp}.csv", "text/csv; charset=utf-8")
    data = importing.export_workbook(actor=user, company=company)
    return _download(data, f"{company.code}-组织架构-{stamp}.xlsx", XLSX)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response
