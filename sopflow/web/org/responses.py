"""How org pages answer when access fails: NotFound → 404, Forbidden → 403 with the reason."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from sopflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sopflow.org import access
from sopflow.org.models import Company, User

View = Callable[..., HttpResponse]
# Errors a form page shows next to its fields; Forbidden and NotFound become 403 / 404 pages.
FORM_ERRORS = (ValidationFailed, Conflict)


def org_errors(view: View) -> View:
    """Turn `access` failures raised anywhere in the view into 404 / 403 pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error
        except Forbidden as error:
            return render(request, "web/org/forbidden.html", {"message": error.message}, status=403)

    return wrapper


def chosen_company(request: HttpRequest, *, action: access.OrgAction = "view") -> Company:
    """The company named by `?company=` (or a form's `company` field), else the user's own."""
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    raw = request.POST.get("company") or request.GET.get("company") or ""
    if raw.isdigit():
        return access.get_company_for(user, int(raw), action)
    company = access.default_company_for(user)
    if company is None:
        raise NotFound(gettext("还没有可查看的公司"))
    return access.get_company_for(user, company.pk, action)
