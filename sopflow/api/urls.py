"""The REST API at /api/v1/: one NinjaAPI, one router per domain module (api/<domain>.py)."""

from ninja import NinjaAPI

from . import errors
from .auth import PerCallerThrottle, api_auth

api = NinjaAPI(
    title="sopflow API",
    version="1",
    description="sopflow 开放接口。认证：在“设置 → API 令牌”创建个人令牌，以 `Authorization: Bearer <令牌>` 调用。",
    auth=api_auth,
    throttle=[PerCallerThrottle()],
    urls_namespace="api",
)
errors.install(api)

from . import me, org, org_sync  # noqa: E402  (routers register after the api object exists)

api.add_router("/me", me.router)
api.add_router("/org", org.router)
api.add_router("/org/sync", org_sync.router)

urlpatterns = api.urls[0]
