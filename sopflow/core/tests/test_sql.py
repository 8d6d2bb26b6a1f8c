"""`core.sql`: prepared statements from model metadata (Table) and one-statement write batches
(Batch). Runs on both backends (the PostgreSQL suite checks the WITH form)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sopflow.core.sql import Batch, JsonText, Table, cursor
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User

pytestmark = pytest.mark.django_db

NOTIFICATIONS = Table(Notification)
MOMENT = datetime(2026, 12, 4, 10, 30, 15, 123456, tzinfo=UTC)


def _row(user: User, **changes: object) -> dict[str, object]:
    return {"recipient_id": user.pk, "kind": "system.notice", "title": "标题", "body": "正文",
            "link": "/x/", "is_urgent": True, "created_at": MOMENT,
            "translations": {"en": {"title": "Title"}}, "source": "test", **changes}


def test_insert_writes_every_column_and_load_reads_it_back_like_the_orm(alice: User) -> None:
    with transaction.atomic(), cursor() as c:
        pk, = NOTIFICATIONS.insert(c, [_row(alice)])

    stored = Notification.objects.get(pk=pk)
    assert (stored.title, stored.body, stored.is_urgent, stored.created_at, stored.translations,
            stored.actor_id, stored.read_at) == (
        "标题", "正文", True, MOMENT, {"en": {"title": "Title"}}, None, None)
    with cursor() as c:
        c.execute(f"SELECT {NOTIFICATIONS.columns('n')} FROM notify_notification n "  # noqa: S608
                  "WHERE n.id = %s", [pk])
        loaded = NOTIFICATIONS.load(c.fetchone())
    assert isinstance(loaded, Notification)
    assert not loaded._state.adding
    assert [getattr(loaded, f.attname) for f in NOTIFICATIONS.fields] == [
        getattr(stored, f.attname) for f in NOTIFICATIONS.fields]


def test_a_left_out_column_takes_its_default_and_a_partial_load_defers_the_rest(
        alice: User) -> None:
    row = _row(alice)
    del row["translations"], row["is_urgent"]
    with transaction.atomic(), cursor() as c:
        pk, = NOTIFICATIONS.insert(c, [row])
        c.execute("SELECT n.id, n.title FROM notify_notification n WHERE n.id = %s", [pk])
        partial = NOTIFICATIONS.load(c.fetchone(), ["id", "title"])

    stored = Notification.objects.get(pk=pk)
    assert (stored.translations, stored.is_urgent) == ({}, False)
    assert partial.get_deferred_fields() >= {"body", "recipient_id", "created_at"}
    assert partial.title == "标题"


def test_json_text_is_written_as_given(alice: User) -> None:
    with transaction.atomic(), cursor() as c:
        pk, = NOTIFICATIONS.insert(c, [_row(alice, translations=JsonText('{"en": {"b": 2}}'))])

    assert Notification.objects.get(pk=pk).translations == {"en": {"b": 2}}


def test_a_batch_is_one_statement_on_postgresql_and_reports_counts_and_ids(
        alice: User, bob: User) -> None:
    with transaction.atomic():
        with cursor() as c:
            first, = NOTIFICATIONS.insert(c, [_row(alice)])
        batch = Batch()
        batch.insert(NOTIFICATIONS, [_row(bob, title="甲"), _row(bob, title="乙")],
                     name="added", ids=True)
        batch.add("UPDATE notify_notification SET title = %s WHERE id = %s", ["改", first],
                  name="renamed", count=True)
        batch.add("UPDATE notify_notification SET title = %s WHERE id = %s", ["无", -1],
                  name="missing", count=True)
        with CaptureQueriesContext(connection) as captured, cursor() as c:
            found = batch.run(c)

    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 3)
    added = sorted(Notification.objects.filter(recipient=bob).values_list("pk", flat=True))
    assert (found["added"], found["renamed"], found["missing"]) == (added, 1, 0)
    assert Notification.objects.get(pk=first).title == "改"


def test_last_id_points_the_next_write_at_the_insert_before_it(company: Company,
                                                               alice: User) -> None:
    with transaction.atomic():
        batch = Batch()
        batch.insert(NOTIFICATIONS, [_row(alice), _row(alice)], name="rows")
        batch.add(f"UPDATE org_company SET short_name = {batch.last_id('rows')} "  # noqa: S608
                  "WHERE id = %s", [company.pk])
        with cursor() as c:
            batch.run(c)

    newest = Notification.objects.filter(recipient=alice).order_by("-pk").first()
    assert newest is not None
    assert Company.objects.get(pk=company.pk).short_name == str(newest.pk)


def test_last_id_refuses_a_reference_that_is_not_the_previous_write_on_sqlite() -> None:
    batch = Batch()
    batch.add("UPDATE org_company SET short_name = 'x' WHERE id = 0", [], name="other")
    if connection.vendor == "postgresql":
        assert batch.last_id("rows") == "(SELECT max(id) FROM rows)"
    else:
        with pytest.raises(ValueError, match="must follow that INSERT directly"):
            batch.last_id("rows")
