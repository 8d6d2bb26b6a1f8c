"""The 审批 inbox: search, every filter and the due-time sort give exact rows; fixed query counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, User
from sopflow.workflow import queries
from sopflow.workflow.models import ApprovalTask, Instance
from sopflow.workflow.tests.builders import flow_template, head_then_finance, running_instance

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def item(initiator: User, template: FormTemplate, title: str, *, started: str,
         due_in_hours: int | None = None, urgent: bool = False) -> Instance:
    instance = running_instance(initiator, template)
    started_at = datetime.fromisoformat(started).replace(tzinfo=SHANGHAI)
    Instance.objects.filter(pk=instance.pk).update(title=title, started_at=started_at,
                                                   urgent=urgent)
    due_at = clock.now() + timedelta(hours=due_in_hours) if due_in_hours is not None else None
    ApprovalTask.objects.filter(instance=instance).update(due_at=due_at)
    return instance


@pytest.fixture
def inbox(company: Company, alice: User, bob: User, carol: User,
          dave: User) -> dict[str, Instance]:
    """Four items waiting for 李强 (bob), from two templates and two initiators."""
    expense = flow_template(company, head_then_finance([carol.pk]), name="费用报销")
    trip = flow_template(company, head_then_finance([carol.pk]), name="出差申请")
    dave.department = alice.department
    dave.save(update_fields=["department"])
    return {
        "taxi": item(alice, expense, "打车费 报销", started="2026-03-02 10:00", due_in_hours=5),
        "hotel": item(alice, expense, "酒店住宿 报销", started="2026-03-10 09:00",
                      due_in_hours=-2, urgent=True),
        "beijing": item(dave, trip, "北京出差", started="2026-03-20 15:00", due_in_hours=1),
        "shanghai": item(dave, trip, "上海出差", started="2026-04-01 08:00"),
    }


def rows(user: User, query: str) -> list[int]:
    html = client_for(user).get(f"/approvals/?tab=todo&{query}").content.decode()
    return [int(pk) for pk in re.findall(r'href="/approvals/(\d+)/"', html)]


def ids(inbox: dict[str, Instance], *names: str) -> list[int]:
    return [inbox[name].pk for name in names]


def test_without_filters_the_newest_task_comes_first(bob: User,
                                                     inbox: dict[str, Instance]) -> None:
    assert rows(bob, "") == ids(inbox, "shanghai", "beijing", "hotel", "taxi")


@pytest.mark.parametrize(("query", "expected"), [
    ("q=报销", ["hotel", "taxi"]),
    ("q=出差", ["shanghai", "beijing"]),
    ("q=何佳", ["shanghai", "beijing"]),  # initiator's name
    ("q=酒店", ["hotel"]),
    ("q=没有这个", []),
])
def test_search_matches_title_or_initiator(bob: User, inbox: dict[str, Instance], query: str,
                                           expected: list[str]) -> None:
    assert rows(bob, query) == ids(inbox, *expected)


def test_template_filter(bob: User, inbox: dict[str, Instance]) -> None:
    trip = inbox["beijing"].template_id

    assert rows(bob, f"template={trip}") == ids(inbox, "shanghai", "beijing")


def test_status_filter(bob: User, carol: User, inbox: dict[str, Instance]) -> None:
    from sopflow.workflow import services

    task = ApprovalTask.objects.get(instance=inbox["taxi"], assignee=bob)
    services.return_item(actor=bob, task_id=task.pk, note="缺发票")

    assert rows(bob, "status=running") == ids(inbox, "shanghai", "beijing", "hotel")
    assert rows(bob, "status=approved") == []
    done = client_for(bob).get("/approvals/?tab=done&status=returned").content.decode()
    assert [int(pk) for pk in re.findall(r'href="/approvals/(\d+)/"', done)] == ids(inbox, "taxi")


@pytest.mark.parametrize(("query", "expected"), [
    ("from=2026-03-10", ["shanghai", "beijing", "hotel"]),
    ("to=2026-03-10", ["hotel", "taxi"]),
    ("from=2026-03-03&to=2026-03-31", ["beijing", "hotel"]),
    ("from=2026-03-20&to=2026-03-20", ["beijing"]),
    ("from=not-a-date", ["shanghai", "beijing", "hotel", "taxi"]),
])
def test_date_filters_include_both_ends(bob: User, inbox: dict[str, Instance], query: str,
                                        expected: list[str]) -> None:
    assert rows(bob, query) == ids(inbox, *expected)


def test_urgent_filter(bob: User, inbox: dict[str, Instance]) -> None:
    assert rows(bob, "urgent=1") == ids(inbox, "hotel")


def test_overdue_filter(bob: User, alice: User, inbox: dict[str, Instance]) -> None:
    assert rows(bob, "overdue=1") == ids(inbox, "hotel")
    mine = client_for(alice).get("/approvals/?tab=mine&overdue=1").content.decode()
    assert [int(pk) for pk in re.findall(r'href="/approvals/(\d+)/"', mine)] == ids(inbox,
                                                                                    "hotel")


def test_due_sort_puts_the_soonest_due_first_and_no_deadline_last(
        bob: User, inbox: dict[str, Instance]) -> None:
    assert rows(bob, "sort=due") == ids(inbox, "hotel", "beijing", "taxi", "shanghai")


def test_filters_combine(bob: User, inbox: dict[str, Instance]) -> None:
    expense = inbox["taxi"].template_id

    assert rows(bob, f"template={expense}&q=报销&sort=due") == ids(inbox, "hotel", "taxi")
    assert rows(bob, f"template={expense}&urgent=1&from=2026-03-11") == []


def test_inbox_queries_are_fixed_whatever_the_filters(
        bob: User, inbox: dict[str, Instance], django_assert_num_queries: object) -> None:
    filters = queries.Filters(q="出差", template_id=inbox["beijing"].template_id,
                              status="running", urgent=False, overdue=False, sort="due")

    with django_assert_num_queries(1):  # type: ignore[operator]  # pytest-django fixture
        found = queries.inbox_for(bob, "todo", filters)
        assert [row.instance.initiator.name for row in found] == ["何佳", "何佳"]
        assert [row.instance.template.name for row in found] == ["出差申请", "出差申请"]
    with django_assert_num_queries(1):  # type: ignore[operator]  # pytest-django fixture
        assert len(queries.inbox_for(bob, "mine", filters)) == 0
    with django_assert_num_queries(1):  # type: ignore[operator]  # pytest-django fixture
        assert queries.badge_count(bob) == 4


def test_inbox_page_query_count_does_not_grow_with_rows(
        company: Company, alice: User, bob: User, carol: User,
        django_assert_num_queries: object) -> None:
    expense = flow_template(company, head_then_finance([carol.pk]))
    running_instance(alice, expense)
    client = client_for(bob)
    client.get("/approvals/")  # warm the session and per-process caches

    with django_assert_num_queries(10) as few:  # type: ignore[operator]  # pytest-django fixture
        client.get("/approvals/?q=报销&sort=due")
    for _ in range(4):
        running_instance(alice, expense)
    with django_assert_num_queries(len(few.captured_queries)):  # type: ignore[operator]  # fixture
        client.get("/approvals/?q=报销&sort=due")


def test_tab_counts_cap_at_99_plus_and_done_tab_merges_delegated_tasks(
        bob: User, carol: User, inbox: dict[str, Instance]) -> None:
    """Counts that grow with history (done, mine, cc) are capped ("99+") so they cost the
    same at 10k and 1M rows; the done tab still merges tasks delegated away, newest first."""
    template = ApprovalTask.objects.filter(assignee=bob).first()
    assert template is not None
    now = clock.now()
    ApprovalTask.objects.bulk_create([ApprovalTask(
        instance=template.instance, company_id=template.company_id, key=f"h{i}", node_id="h",
        node_name="历史", assignee=bob, status="approved", opened_at=now,
        decided_at=now - timedelta(days=i + 1)) for i in range(120)])
    delegated = ApprovalTask.objects.create(
        instance=template.instance, company_id=template.company_id, key="d1", node_id="h",
        node_name="历史", assignee=carol, delegated_from=bob, status="approved",
        opened_at=now, decided_at=now)

    counts = queries.inbox_counts(bob)
    assert counts["done"] == queries.COUNT_CAP + 1
    assert queries.count_label(counts["done"]) == "99+"
    assert queries.count_label(queries.COUNT_CAP) == "99"
    assert counts["todo"] == queries.badge_count(bob) == 4
    done = queries.inbox_for(bob, "done")
    assert len(done) == queries.PAGE_SIZE
    assert done[0].task is not None
    assert done[0].task.pk == delegated.pk
    decided = [row.task.decided_at for row in done if row.task is not None]
    assert decided == sorted(decided, reverse=True)
    assert 'data-testid="count-done">99+<' in client_for(bob).get("/approvals/").content.decode()


def test_inbox_queries_read_task_rows_along_indexes(
        bob: User, inbox: dict[str, Instance]) -> None:
    """Query shapes (SQLite plans): no inbox query scans the task table, so page and badge
    latency do not grow with the history (BENCHMARKS.md, 10k → 1M)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("plan text is SQLite's")
    with CaptureQueriesContext(connection) as captured:
        queries.inbox_counts(bob)
        queries.badge_count(bob)
        queries.inbox_for(bob, "todo")
        queries.inbox_for(bob, "done")
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "SCAN workflow_approvaltask" not in plan, (query["sql"], plan)
