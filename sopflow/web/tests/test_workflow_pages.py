"""审批 pages through the client: inbox tabs and counts, the item page, actions, S12 visibility."""

from __future__ import annotations

import pytest
from django.test import Client

from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, User
from sopflow.workflow.models import ApprovalTask, Instance
from sopflow.workflow.tests.builders import (
    flow_template,
    head_then_finance,
    open_task,
    running_instance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def expense(company: Company, carol: User) -> FormTemplate:
    return flow_template(company, head_then_finance([carol.pk]))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_inbox_shows_the_tabs_with_counts(alice: User, bob: User, expense: FormTemplate) -> None:
    running_instance(alice, expense)
    running_instance(alice, expense)

    response = client_for(bob).get("/approvals/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="count-todo">2<' in html
    assert html.count('data-testid="inbox-row"') == 2
    assert "部门负责人审核" in html


def test_badge_counts_open_tasks(alice: User, bob: User, expense: FormTemplate) -> None:
    running_instance(alice, expense)

    response = client_for(bob).get("/approvals/badge/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert '>1</a>' in response.content.decode()


def test_approving_from_the_item_page_moves_to_finance(alice: User, bob: User,
                                                       expense: FormTemplate) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)

    response = client_for(bob).post(f"/approvals/tasks/{task.pk}/approve/",
                                    {"comment": "同意报销"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Trigger"] == "inbox-changed"
    assert "财务审核中" in response.content.decode()
    assert ApprovalTask.objects.get(pk=task.pk).comment == "同意报销"


def test_second_approval_shows_who_handled_it_and_changes_nothing(
        alice: User, bob: User, expense: FormTemplate) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)
    client = client_for(bob)
    client.post(f"/approvals/tasks/{task.pk}/approve/", {}, HTTP_HX_REQUEST="true")
    revision = Instance.objects.get(pk=instance.pk).revision

    response = client.post(f"/approvals/tasks/{task.pk}/approve/", {}, HTTP_HX_REQUEST="true")

    assert response.status_code == 409
    assert "该审批已被李强处理" in response.content.decode()
    assert Instance.objects.get(pk=instance.pk).revision == revision


@pytest.mark.parametrize(("who", "status"), [
    ("alice", 200), ("bob", 200), ("carol_after_approval", 200), ("dave", 404),
    ("auditor", 200), ("admin", 200)])
def test_item_visibility_matrix(who: str, status: int, request: pytest.FixtureRequest,
                                alice: User, bob: User, carol: User,
                                expense: FormTemplate) -> None:
    instance = running_instance(alice, expense)
    if who == "carol_after_approval":
        from sopflow.workflow import services

        services.approve(actor=bob, task_id=open_task(instance, bob).pk)
        user = carol
    else:
        user = request.getfixturevalue(who)

    response = client_for(user).get(f"/approvals/{instance.pk}/")
    submission = client_for(user).get(f"/submissions/{instance.submission_id}/")

    assert response.status_code == status
    assert submission.status_code == status


def test_item_page_shows_route_timeline_and_why_chosen(alice: User, bob: User,
                                                       expense: FormTemplate) -> None:
    instance = running_instance(alice, expense)

    html = client_for(bob).get(f"/approvals/{instance.pk}/").content.decode()

    route = html[html.index('data-testid="route"'):html.index('data-testid="readonly-form"')]
    assert route.index("已提交") < route.index("部门负责人审核中") < route.index("财务审核")
    assert "市场部负责人" in html
    assert 'data-testid="approve"' in html
    assert 'data-verb="workflow.instance.submitted"' in html


def test_outsider_gets_404_for_task_actions(alice: User, bob: User, dave: User,
                                            expense: FormTemplate) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)

    response = client_for(dave).post(f"/approvals/tasks/{task.pk}/approve/", {})

    assert response.status_code == 404
    assert open_task(instance, bob).pk == task.pk


def test_inbox_query_count_is_fixed(alice: User, bob: User, expense: FormTemplate,
                                    django_assert_max_num_queries: object) -> None:
    from sopflow.workflow import queries

    for _ in range(3):
        running_instance(alice, expense)

    with django_assert_max_num_queries(1):  # type: ignore[operator]
        rows = queries.inbox_for(bob, "todo")
        assert [row.instance.initiator.name for row in rows] == ["张敏"] * 3
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        assert queries.inbox_counts(bob) == {"todo": 3, "done": 0, "mine": 0, "cc": 0}
