"""Web UI routes. Each domain has web/<domain>/urls.py; included here under its prefix."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("sopflow.web.home.urls")),
    path("", include("sopflow.web.accounts.urls")),
    path("org/", include("sopflow.web.org.urls")),
    path("audit/", include("sopflow.web.audit.urls")),
    path("notifications/", include("sopflow.web.notify.urls")),
    path("time/", include("sopflow.web.worktime.urls")),
    path("admin-jobs/", include("sopflow.web.scheduling.urls")),
    path("webhooks/", include("sopflow.web.webhooks.urls")),
    path("delegations/", include("sopflow.web.delegation.urls")),
    path("", include("sopflow.web.form_templates.urls")),
    path("", include("sopflow.web.workflow_design.urls")),
    path("", include("sopflow.web.workflow.urls")),
    path("", include("sopflow.web.training.urls")),
]
