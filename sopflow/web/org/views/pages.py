"""Read-only org pages: the chart, departments, people, positions. Everyone signed in may look
at the companies `sopflow.org.access` lets them see."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sopflow.org import access, queries
from sopflow.org.models import User

from ..responses import chosen_company, org_errors

PEOPLE_PER_PAGE = 50


@org_errors
def org_chart(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    company = chosen_company(request)
    return render(request, "web/org/chart.html", {
        "company": company,
        "companies": list(access.companies_visible_to(user).order_by("pk")),
        "roots": queries.department_tree(company, with_people=True),
        "can_manage": access.can_manage_org(user, company),
    })


@org_errors
def department_detail(request: HttpRequest, department_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    department = access.get_department_for(user, department_id)
    return render(request, "web/org/department_detail.html", {
        "page": queries.department_page(department),
        "company": department.company,
        "can_manage": access.can_manage_org(user, department.company),
    })


@org_errors
def people_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    company = chosen_company(request)
    text = request.GET.get("q", "")
    people = queries.search_people(
        queries.list_employees(company, include_inactive=request.GET.get("all") == "1"), text,
    ).select_related("department", "position")
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {"company": company, "people": page, "q": text,
               "companies": list(access.companies_visible_to(user).order_by("pk")),
               "can_manage": access.can_manage_org(user, company)}
    template = "web/org/_people_rows.html" if request.htmx else "web/org/people_list.html"  # type: ignore[attr-defined]  # django-htmx
    return render(request, template, context)


@org_errors
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    person = access.get_employee_for(user, person_id)
    company = person.company
    if company is None:  # get_employee_for never returns people without a company
        raise Http404
    can_manage_roles = access.can_manage_roles(user, company)
    return render(request, "web/org/person_detail.html", {
        "person": person,
        "company": company,
        "secondary_departments": list(person.secondary_departments.order_by("sort_order", "pk")),
        "reports": list(queries.direct_reports(person)),
        "can_manage": access.can_manage_org(user, company),
        "can_manage_roles": can_manage_roles,
        "grants": list(queries.role_assignments_of(person)) if can_manage_roles else [],
    })


@org_errors
def position_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    company = chosen_company(request)
    return render(request, "web/org/position_list.html", {
        "company": company,
        "positions": queries.positions_with_holder_counts(company),
        "can_manage": access.can_manage_org(user, company),
    })


@org_errors
def position_detail(request: HttpRequest, position_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # LoginRequiredMiddleware
    position = access.get_position_for(user, position_id)
    return render(request, "web/org/position_detail.html", {
        "position": position,
        "company": position.company,
        "holders": list(queries.holders_of_position(position)),
        "can_manage": access.can_manage_org(user, position.company),
    })
