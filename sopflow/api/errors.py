"""JSON error shape shared by every endpoint: {"code", "message", "field"?, "details"?}.

Domain errors keep their code and field; request validation names the first bad field; auth,
permission, throttling and unknown routes get fixed codes. Messages are in the user's language
(Chinese source strings, translated through the gettext catalogue).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.utils.translation import gettext, gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from sopflow.core.errors import Conflict, DomainError

# Parts of a pydantic error location that name the transport, not the field.
_LOCATION_NOISE = {
    "body",
    "query",
    "path",
    "header",
    "cookie",
    "form",
    "file",
    "payload",
    "filters",
}


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
        details = [
            {"field": _field_of(item), "message": _validation_message(item)}
            for item in error.errors
        ]
        if not details:
            details = [{"field": "", "message": gettext("请求格式不正确")}]
        first = details[0]
        message = (gettext("%(field)s：%(message)s") % first) if first["field"] else first["message"]
        body: dict[str, Any] = {"code": "validation_failed", "message": message, "details": details}
        if first["field"]:
            body["field"] = first["field"]
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request, {"code": "unauthenticated", "message": gettext("未登录或令牌无效")}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="sopflow"'
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return api.create_response(
            request, {"code": "not_found", "message": gettext("对象不存在")}, status=404
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        return api.create_response(
            request, {"code": "forbidden", "message": str(error) or gettext("没有权限")}, status=403
        )

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
        response = api.create_response(
            request, {"code": "throttled", "message": gettext("请求过于频繁，请稍后再试")}, status=429
        )
        if error.wait:
            response["Retry-After"] = str(int(error.wait) + 1)
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        code, message = _HTTP_ERRORS.get(
            error.status_code, (f"http_{error.status_code}", str(error))
        )
        return api.create_response(
            request, {"code": code, "message": str(message)}, status=error.status_code
        )


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a wrong method with Django's empty 405; give it the JSON error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                {"code": "method_not_allowed",
                 "message": gettext("不支持该请求方法，可用：%(allowed)s") % {"allowed": allowed}},
                status=405,
                json_dumps_params={"ensure_ascii": False},
            )
            response["Allow"] = allowed
        return response

    return wrapped


def unknown_route(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Anything under /api/v1/ that is not an endpoint: JSON 404, never an HTML page."""
    return JsonResponse(
        {"code": "not_found", "message": gettext("接口不存在：%(path)s") % {"path": request.path}},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


_HTTP_ERRORS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", gettext_lazy("请求格式不正确（请检查 JSON 是否有效）")),
    401: ("unauthenticated", gettext_lazy("未登录或令牌无效")),
    403: ("forbidden", gettext_lazy("没有权限")),
    404: ("not_found", gettext_lazy("对象不存在")),
    405: ("method_not_allowed", gettext_lazy("不支持该请求方法")),
}

_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("必填"),
    "int_parsing": gettext_lazy("须为整数"),
    "int_type": gettext_lazy("须为整数"),
    "int_from_float": gettext_lazy("须为整数"),
    "float_parsing": gettext_lazy("须为数字"),
    "string_type": gettext_lazy("须为文本"),
    "bool_parsing": gettext_lazy("须为 true 或 false"),
    "bool_type": gettext_lazy("须为 true 或 false"),
    "date_from_datetime_parsing": gettext_lazy("须为日期（YYYY-MM-DD）"),
    "date_from_datetime_inexact": gettext_lazy("须为日期（YYYY-MM-DD）"),
    "date_parsing": gettext_lazy("须为日期（YYYY-MM-DD）"),
    "date_type": gettext_lazy("须为日期（YYYY-MM-DD）"),
    "datetime_parsing": gettext_lazy("须为日期时间（ISO 8601）"),
    "string_too_long": gettext_lazy("太长"),
    "string_too_short": gettext_lazy("太短"),
    "greater_than_equal": gettext_lazy("太小"),
    "greater_than": gettext_lazy("太小"),
    "less_than_equal": gettext_lazy("太大"),
    "less_than": gettext_lazy("太大"),
    "list_type": gettext_lazy("须为列表"),
    "dict_type": gettext_lazy("须为对象"),
    "model_attributes_type": gettext_lazy("须为对象"),
    "literal_error": gettext_lazy("不是允许的取值"),
    "enum": gettext_lazy("不是允许的取值"),
    "extra_forbidden": gettext_lazy("不是可识别的字段"),
    "json_invalid": gettext_lazy("不是有效的 JSON"),
    "value_error": gettext_lazy("值不正确"),
}


def _field_of(item: dict[str, Any]) -> str:
    parts = [str(part) for part in item.get("loc", ())]
    while parts and parts[0] in _LOCATION_NOISE:
        parts.pop(0)
    return ".".join(parts)


def _validation_message(item: dict[str, Any]) -> str:
    kind = str(item.get("type", ""))
    if kind == "value_error" and "email" in str(item.get("msg", "")).lower():
        return gettext("须为有效的邮箱地址")
    return str(_MESSAGES.get(kind, gettext("值不正确")))
