"""Org pages (placeholder until filled in)."""

from django.http import HttpRequest, HttpResponse


def org_chart(request: HttpRequest) -> HttpResponse:
    return HttpResponse("org chart")
