"""The English interface: a user who picks English gets English pages and API errors; Chinese stays
the default. Also keeps the en catalogue complete (tools/check_translations.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sopflow.api.tests.conftest import bearer_client
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, User

ROOT = Path(settings.BASE_DIR)

# url name -> (English heading, Chinese heading)
PAGES = {
    "web:home": ("Workbench", "工作台"),
    "web:approval-inbox": ("Approvals", "审批"),
    "web:template-list": ("SOP templates", "SOP 模板"),
    "web:training-my": ("My training", "我的培训"),
    "web:org-chart": ("Org chart", "组织架构"),
    "web:settings": ("Settings", "设置"),
}
NAV_EN = ["Workbench", "Approvals", "Templates", "Training", "Org chart", "Settings"]
NAV_ZH = ["工作台", "审批", "模板", "培训", "组织", "设置"]


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def nav_labels(html: str) -> list[str]:
    return [_text(label) for label in re.findall(r'class="nav-link-title">(.*?)</span>', html)]


def heading(html: str) -> str:
    match = re.search(r'<h2 class="page-title">(.*?)</h2>', html, re.S)
    assert match, "page has no heading"
    # the inbox heading carries a count badge, the org chart the company name: keep the title text
    title = re.sub(r"<(span|a)\b[^>]*(badge|company-name)[^>]*>.*?</\1>", "", match.group(1),
                   flags=re.S)
    return _text(title)


def page_title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return " ".join(match.group(1).split())


def _client(user: User, **headers: str) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


@pytest.fixture
def english_alice(alice: User) -> User:
    alice.language = User.Language.EN
    alice.save(update_fields=["language"])
    return alice


@pytest.mark.parametrize("url_name", list(PAGES))
def test_english_user_sees_english_nav_and_heading(english_alice: User, url_name: str) -> None:
    # the saved choice wins over a Chinese browser
    response = _client(english_alice, accept_language="zh-CN,zh;q=0.9").get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert nav_labels(html) == NAV_EN
    assert heading(html) == PAGES[url_name][0]
    assert page_title(html).endswith(" · sopflow")
    assert not re.search(r"[\u4e00-\u9fff]", page_title(html)), page_title(html)


@pytest.mark.parametrize("url_name", list(PAGES))
def test_chinese_user_sees_chinese_nav_and_heading(alice: User, url_name: str) -> None:
    response = _client(alice, accept_language="en-US,en;q=0.9").get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert nav_labels(html) == NAV_ZH
    assert heading(html) == PAGES[url_name][1]


def test_english_home_has_english_inbox_tabs_and_page_title(english_alice: User) -> None:
    html = _client(english_alice).get(reverse("web:approval-inbox")).content.decode()

    for tab in ("Pending", "Processed", "Submitted by me", "CC'd to me"):
        assert tab in html.replace("&#x27;", "'")
    assert page_title(_client(english_alice).get("/").content.decode()) == "Workbench · sopflow"


def test_english_settings_page_translates_labels_from_python(english_alice: User,
                                                             hr_admin: User) -> None:
    hr_admin.language = User.Language.EN
    hr_admin.save(update_fields=["language"])

    html = _client(hr_admin).get(reverse("web:settings")).content.decode()

    assert "My delegations" in html  # gettext_noop label from the view, translated in the template
    assert "Work calendar" in html
    assert "Never expires" in html


def test_api_validation_error_in_english_for_english_token(
    english_alice: User, hr_admin: User, company: Company
) -> None:
    hr_admin.language = User.Language.EN
    hr_admin.save(update_fields=["language"])
    client = bearer_client(hr_admin)

    blank = client.post("/api/v1/org/departments",
                        {"company_id": company.pk, "name": "  ", "code": "ops"},
                        content_type="application/json")
    missing = client.post("/api/v1/org/departments", {"company_id": company.pk, "code": "ops"},
                          content_type="application/json")

    assert blank.status_code == 422
    assert blank.json() == {"code": "validation_failed", "message": "Department name is required",
                            "field": "name"}
    assert missing.status_code == 422
    assert missing.json()["message"] == "name: Required"
    assert blank["Content-Language"] == "en"


def test_api_validation_error_stays_chinese_for_chinese_token(hr_admin: User,
                                                              company: Company) -> None:
    response = bearer_client(hr_admin).post(
        "/api/v1/org/departments", {"company_id": company.pk, "name": "", "code": "ops"},
        content_type="application/json", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 422
    assert response.json()["message"] == "请填写部门名称"


def test_english_catalogue_is_complete() -> None:
    result = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
        [sys.executable, str(ROOT / "tools" / "check_translations.py")],
        capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def english_process_admin(company: Company) -> User:
    from sopflow.org.models import RoleAssignment
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P900", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    user.language = User.Language.EN
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def flow_template(company: Company) -> FormTemplate:
    from sopflow.form_templates.tests.builders import build_template

    schema = {"fields": [{"key": "f_budget", "type": "money", "label": "预算金额"}]}
    return build_template(company, schema=schema, name="市场活动", code="i18n-flow",
                          scope={"everyone": True})


def test_flow_designer_page_in_english(english_process_admin: User, flow_template: FormTemplate,
                                       alice: User) -> None:
    client = _client(english_process_admin)
    client.post(reverse("web:flow-op", args=[flow_template.pk]),
                {"op": "insert", "kind": "approver", "after": "start"}, HTTP_HX_REQUEST="true")

    html = client.get(reverse("web:flow-design", args=[flow_template.pk])).content.decode()

    assert heading(html) == "Approval flow · 市场活动"
    assert page_title(html) == "Flow designer · 市场活动 · sopflow"
    for text in ("Simulate", "Export BPMN", "Import BPMN", "Back to template", "End of flow",
                 "Insert a node here", "Condition branches", "Delete 审批人",
                 "Initiator&#x27;s direct manager · All must approve"):
        assert text in html, text
    data = ("市场活动", "苏畅", "苏", "发起人", "审批人")  # template, user and node names are data
    assert not re.findall(r"[\u4e00-\u9fff]+", re.sub("|".join(data), "", _text(html)))
    drawer = client.get(reverse("web:flow-node", args=[flow_template.pk, "approver_1"]),
                        HTTP_HX_REQUEST="true").content.decode()
    assert "When no approver is found" in drawer
    assert "All must approve" in drawer


def test_flow_lint_message_in_english_and_chinese(english_process_admin: User,
                                                  flow_template: FormTemplate, alice: User) -> None:
    op_url = reverse("web:flow-op", args=[flow_template.pk])
    lint_url = reverse("web:flow-lint", args=[flow_template.pk])
    client = _client(english_process_admin)
    client.post(op_url, {"op": "insert", "kind": "condition_group", "after": "start"},
                HTTP_HX_REQUEST="true")

    english = client.post(lint_url, HTTP_HX_REQUEST="true").content.decode()
    english_process_admin.language = User.Language.ZH_HANS
    english_process_admin.save(update_fields=["language"])
    chinese = _client(english_process_admin).post(lint_url, HTTP_HX_REQUEST="true")

    assert "Errors (must be fixed)" in english
    assert ('data-code="unset_condition">Node &quot;条件分支&quot; (condition_1): branch '
            '&quot;条件1&quot; has no condition yet') in english
    assert "分支“条件1”还没有设置条件" in chinese.content.decode()
