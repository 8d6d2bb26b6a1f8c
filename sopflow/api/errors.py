"""JSON error shape shared by every endpoint: {"code", "message", "field"?, "details"?}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled

from sopflow.core.errors import Conflict, DomainError


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
        body: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.field:
            body["field"] = error.field
        if error.details:
            body["details"] = error.details
        status = 409 if isinstance(error, Conflict) else error.status
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
        details = []
        for item in error.errors:
            location = [str(part) for part in item.get("loc", []) if part not in ("body", "payload")]
            details.append({"field": ".".join(location), "message": _validation_message(item)})
        first = details[0] if details else {"field": "", "message": "请求格式不正确"}
        return api.create_response(request, {
            "code": "validation_failed", "message": f"{first['field']}：{first['message']}",
            "field": first["field"], "details": details}, status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"code": "unauthenticated",
                                             "message": "未登录或令牌无效"}, status=401)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return api.create_response(request, {"code": "not_found", "message": "对象不存在"}, status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"code": "forbidden", "message": str(error) or "没有权限"},
                                   status=403)

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
        response = api.create_response(request, {"code": "throttled", "message": "请求过于频繁，请稍后再试"},
                                       status=429)
        if error.wait:
            response["Retry-After"] = str(int(error.wait) + 1)
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return api.create_response(request, {"code": f"http_{error.status_code}", "message": str(error)},
                                   status=error.status_code)


_MESSAGES = {
    "missing": "必填",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "string_type": "须为文本",
    "bool_parsing": "须为 true 或 false",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "string_too_long": "太长",
    "string_too_short": "太短",
    "value_error": "值不正确",
}


def _validation_message(item: dict[str, Any]) -> str:
    return _MESSAGES.get(str(item.get("type", "")), str(item.get("msg", "值不正确")))
