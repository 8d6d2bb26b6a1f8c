"""The REST API at /api/v1/: one NinjaAPI, one router per domain module (api/<domain>.py).

Every API view opts out of Django's LoginRequiredMiddleware: the API authenticates on its own
(Bearer token or session + CSRF) and answers 401 JSON instead of redirecting to the login page.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path, re_path
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from . import errors
from .auth import PerCallerThrottle, api_auth, docs_guard


class ReadableJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese text as-is rather than \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="sopflow API",
    version="1",
    description=(
        "sopflow 开放接口。认证：在“设置 → API 令牌”创建个人令牌，以 `Authorization: Bearer <令牌>` "
        "调用；浏览器中已登录时也可直接调用（写操作需带 CSRF 令牌）。\n\n"
        '错误统一返回 JSON：`{"code", "message", "field"?, "details"?}`。'
    ),
    auth=api_auth,
    throttle=[PerCallerThrottle()],
    urls_namespace="api",
    docs_decorator=docs_guard,
    renderer=ReadableJSONRenderer(),
)
errors.install(api)

from . import (  # noqa: E402  (routers register after the api object exists)
    delegation,
    form_templates,
    me,
    org,
    org_sync,
    training,
    webhooks,
    workflow,
    workflow_design,
)

api.add_router("/me", me.router)
api.add_router("/org", org.router)
api.add_router("/org/sync", org_sync.router)
api.add_router("/forms", form_templates.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/training", training.router)
api.add_router("/approvals", workflow.router)
api.add_router("/delegations", delegation.router)
api.add_router("/flows", workflow_design.router)

app_name = "api"
urlpatterns: list[URLPattern] = [
    *(
        pattern
        for pattern in api.urls[0]
        if isinstance(pattern, URLPattern) and pattern.name != "api-root"
    ),
    # The API root and any unknown path answer a JSON 404 rather than an HTML page.
    path("", login_not_required(errors.unknown_route), name="api-root"),
    re_path(r"^.*$", login_not_required(errors.unknown_route), name="unknown-route"),
]
for _pattern in urlpatterns:
    _pattern.callback = login_not_required(errors.json_method_not_allowed(_pattern.callback))
