"""Top-level routes: the htmx web UI at /, the REST API at /api/v1/, health at /healthz."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    path("api/v1/", include("sopflow.api.urls")),
    path("", include("sopflow.web.urls")),
]
