"""Navigation for the shell: which sections exist and which one is active."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from sopflow.audit.access import can_view_audit

# (key, label, icon, url name, who sees it). Later issues add 模板, 培训, 任务, 统计.
NAV = [
    ("home", "工作台", "ti-home", "web:home", "all"),
    ("approvals", "审批", "ti-checkbox", "web:approval-inbox", "all"),
    ("templates", "模板", "ti-files", "web:template-list", "all"),
    ("training", "培训", "ti-school", "web:training-my", "all"),
    ("org", "组织", "ti-sitemap", "web:org-chart", "all"),
    ("audit", "审计", "ti-shield-check", "web:audit-list", "auditor"),
    ("settings", "设置", "ti-settings", "web:settings", "all"),
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

