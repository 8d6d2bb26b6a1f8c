"""Navigation for the shell: which sections exist and which one is active."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import pgettext_lazy

from sopflow.audit.access import can_view_audit

# (key, label, icon, url name, who sees it). Labels are lazy: they render in the user's language
# (context "导航": the nav says "Templates" where a model field says "Template"). Later: 任务, 统计.
NAV = [
    ("home", pgettext_lazy("导航", "工作台"), "ti-home", "web:home", "all"),
    ("approvals", pgettext_lazy("导航", "审批"), "ti-checkbox", "web:approval-inbox", "all"),
    ("templates", pgettext_lazy("导航", "模板"), "ti-files", "web:template-list", "all"),
    ("training", pgettext_lazy("导航", "培训"), "ti-school", "web:training-my", "all"),
    ("org", pgettext_lazy("导航", "组织"), "ti-sitemap", "web:org-chart", "all"),
    ("audit", pgettext_lazy("导航", "审计"), "ti-shield-check", "web:audit-list", "auditor"),
    ("settings", pgettext_lazy("导航", "设置"), "ti-settings", "web:settings", "all"),
]


def shell(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for key, label, icon, url_name, audience in NAV:
        if audience == "auditor" and not can_view_audit(user):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"key": key, "label": label, "icon": icon, "url": url,
                      "active": request.path == url or (url != "/" and request.path.startswith(url))})
    return {"nav_items": items}

