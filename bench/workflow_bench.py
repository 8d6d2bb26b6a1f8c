"""Workflow benchmark (issue 4): the S2 workload through the real services against a throwaway
database, the same row work as hand-written SQL (the floor), inbox/badge latency over growing
history, state size per step and memory. Run by hand (not collected by pytest):

    .venv/bin/python bench/workflow_bench.py --db sqlite --n 2000
    .venv/bin/python bench/workflow_bench.py --db postgres --n 2000 --history 10000,100000,1000000

SQLite runs on a temp file (WAL, IMMEDIATE transactions, like production); PostgreSQL creates
and drops `sopflow_bench_<pid>` on 127.0.0.1:5432 (user postgres, or --pg-url). Results are
written up in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OVER = [{"f_item": "设备", "f_amount": "60000.00"}]
UNDER = [{"f_item": "交通", "f_amount": "1200.00"}, {"f_item": "住宿", "f_amount": "2000.00"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000, help="instances in the timed run")
    parser.add_argument("--history", default="10000,100000",
                        help="comma-separated historical item counts for the inbox latency")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sopflow_bench_"))
    os.environ["SOPFLOW_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DEBUG"] = "0"
    dbname = f"sopflow_bench_{os.getpid()}"
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        _pg_admin(args.pg_url, f'CREATE DATABASE "{dbname}"')
        os.environ["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + f"/{dbname}"
    try:
        migrate_apart()
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres" and not args.keep:
            _pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def migrate_apart() -> None:
    """Run the migrations in a child process before this one imports Django, so the measured
    process's peak RSS (ru_maxrss) is the workload's, not the migration graph's (the target is
    the memory of the process doing the work; a deployed worker does not migrate in-process)."""
    import subprocess

    started = time.perf_counter()
    subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        check=True, cwd=ROOT, env=os.environ.copy())
    print(f"migrated (separate process) in {time.perf_counter() - started:.1f}s")


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]  # fixed statement built above


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    print(f"# {args.db} · {connection.vendor} {_server_version()} · Python "
          f"{platform.python_version()} · {os.cpu_count()} cores · {platform.machine()}")
    print(f"ru_maxrss after django.setup(): {_maxrss_mib():.1f} MiB")
    org = seed()
    Workload(org).warm_up()

    # 1. throughput: engine vs hand-written SQL, same run, same connection, interleaved
    #    quarters. Only the steps are timed (each step is one service call, or one hand-written
    #    transaction): the engine driver's "which task is open now?" read is not part of the
    #    workload (the floor knows its ids), so it is left out of both clocks.
    #    "raw" is the floor (the engine's exact rows, recorded before timing, written by hand);
    #    "lean" is the first floor (same statements, lighter rows), for comparison.
    engine, raw, lean = Workload(org), RawWorkload.recorded(org), LeanRawWorkload(org)
    runners = {"engine": engine, "raw": raw, "lean": lean}
    quarter = max(1, args.n // 4)
    steps = dict.fromkeys(runners, 0)
    wall = dict.fromkeys(runners, 0.0)
    for _ in range(4):
        for name, runner in runners.items():
            gc.collect()
            begin = time.perf_counter()
            steps[name] += runner.run(quarter)
            wall[name] += time.perf_counter() - begin
    timings = {name: runner.clock.total for name, runner in runners.items()}
    n = quarter * 4
    rates = {name: n / timings[name] for name in timings}
    print("\n## Throughput (S2: dept head → finance if > 50,000 → HR archive; "
          "one transaction per step)")
    for name in runners:
        print(f"{name:>6}: {n} instances in {timings[name]:.2f}s of steps "
              f"({wall[name]:.2f}s with the driver) = {rates[name]:.1f} instances/s, "
              f"{steps[name] / timings[name]:.1f} task completions+starts/s ({steps[name]} steps)")
    print(f" ratio engine/raw instances/s: {rates['engine'] / rates['raw']:.3f} "
          f"(against the lean floor: {rates['engine'] / rates['lean']:.3f})")
    for step_name in engine.clock.by_step:
        mine = engine.clock.mean(step_name) * 1000
        floor = raw.clock.mean(step_name) * 1000
        print(f"  {step_name:<30} engine {mine:6.3f} ms · raw {floor:6.3f} ms · "
              f"ratio {floor / mine:.2f} · lean {lean.clock.mean(step_name) * 1000:6.3f} ms")

    # 2. statements per step (engine, sampled outside the timed run)
    per_step = engine.count_statements()
    raw_per_step = raw.count_statements()
    print("\n## Statements per step (engine / hand-written)")
    for step, count in per_step.items():
        print(f"  {step:<28} {count:>3} / {raw_per_step.get(step, '-')}")

    # 3. state size does not grow with completed steps
    sizes = state_sizes(org, steps_count=30)
    print("\n## Stored state size by completed steps (30 sequential single-approver nodes)")
    print("  " + ", ".join(f"{step}:{size}B" for step, size in sizes))

    # 4. memory: two N values with tracemalloc
    print("\n## Memory")
    small, large = max(50, args.n // 8), max(200, args.n // 2)
    for count in (small, large):
        gc.collect()
        tracemalloc.start()
        Workload(org).run(count)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  N={count:>5}: tracemalloc peak {peak / 2**20:.1f} MiB, "
              f"ru_maxrss {_maxrss_mib():.1f} MiB")
    print(f"  peak RSS of the measured process (seed, throughput, state size, memory runs; "
          f"migrations ran in a child process): {_maxrss_mib():.1f} MiB")

    # 5. inbox page + badge latency with growing history
    print("\n## Inbox latency (median of 30 calls; page = inbox_counts + inbox_for('todo'))")
    history = History(org)
    baseline: dict[str, float] = {}
    for target in [int(x) for x in args.history.split(",") if x]:
        begin = time.perf_counter()
        history.grow_to(target)
        grown = time.perf_counter() - begin
        result = inbox_latency(org["inbox_user"])
        baseline = baseline or result
        print(f"  {target:>8} items (generated in {grown:.0f}s): " + ", ".join(
            f"{key} {value * 1000:.2f} ms ({value / baseline[key]:.2f}× first)"
            for key, value in result.items()))
    print(f"\nru_maxrss at end: {_maxrss_mib():.1f} MiB; total {time.perf_counter() - started:.0f}s")


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        return str(cursor.fetchone()[0])


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- seed ---------------------------------------------------------------------------------------


def seed() -> dict[str, Any]:
    from sopflow.form_templates.tests.builders import build_template
    from sopflow.org.models import Company, Department, User
    from sopflow.workflow.definitions import publish_definition

    company = Company.objects.create(name="基准测试公司", code="bench")
    sales = Department.objects.create(company=company, name="销售部", code="sales")
    fin = Department.objects.create(company=company, name="财务部", code="fin")
    hr = Department.objects.create(company=company, name="人事部", code="hr")

    def person(no: str, name: str, department: Department) -> User:
        return User.objects.create_user(password=None, company=company, employee_no=no,
                                        name=name, department=department)

    head = person("H1", "王主管", sales)
    sales.heads.set([head])
    finance = person("F1", "李财务", fin)
    archivist = person("R1", "赵人事", hr)
    inbox_user = person("I1", "钱收件", fin)
    initiators = [person(f"E{i}", f"员工{i}", sales) for i in range(20)]
    flow = {"type": "start", "id": "start", "name": "发起人", "child": {
        "type": "approver", "id": "head", "name": "部门负责人审核", "mode": "any",
        "approver_rule": {"type": "department_head", "level": 0},
        "child": {"type": "condition_group", "id": "amount", "name": "金额", "branches": [
            {"id": "big", "name": "超过5万", "condition": {
                "field": "f_total", "op": "gt", "value": "50000"},
             "child": {"type": "approver", "id": "finance", "name": "财务审核", "mode": "any",
                       "approver_rule": {"type": "users", "user_ids": [finance.pk]},
                       "child": None}},
            {"id": "other", "name": "其他", "condition": {}, "child": None}],
            "child": {"type": "handler", "id": "archive", "name": "人事归档",
                      "approver_rule": {"type": "users", "user_ids": [archivist.pk]},
                      "child": None}}}}
    template = build_template(company, name="费用报销（基准）", code="bench-expense")
    publish_definition(actor=None, template=template, spec={"flow": flow})
    template.refresh_from_db()
    return {"company": company, "head": head, "finance": finance, "archivist": archivist,
            "inbox_user": inbox_user, "initiators": initiators, "template": template,
            "departments": (sales, fin, hr)}


def _values(i: int) -> dict[str, Any]:
    return {"f_type": "差旅", "f_items": OVER if i % 2 == 0 else UNDER,
            "f_payee": "招商银行 6225 8801 2345 6789"}


# --- the engine workload ------------------------------------------------------------------------


class StepClock:
    """Time spent inside the workload's steps, in total and per step name."""

    def __init__(self) -> None:
        self.total = 0.0
        self.by_step: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        self.total += seconds
        self.by_step.setdefault(name, []).append(seconds)

    def mean(self, name: str) -> float:
        found = self.by_step.get(name) or [0.0]
        return sum(found) / len(found)


class Workload:
    """S2 through the real services: draft, submit (starts the workflow), then every open task
    is decided by its assignee, one transaction per step."""

    def __init__(self, org: dict[str, Any]) -> None:
        self.org = org
        self.count = 0
        self.clock = StepClock()

    def one(self, observe: Callable[[str], Any] | None = None) -> int:
        from sopflow.form_templates.services import submissions
        from sopflow.workflow import services
        from sopflow.workflow.models import ApprovalTask

        org, i = self.org, self.count
        self.count += 1
        initiator = org["initiators"][i % len(org["initiators"])]
        deciders = {u.pk: u for u in (org["head"], org["finance"], org["archivist"])}
        with _step(observe, "draft", self.clock):
            draft = submissions.start_submission(actor=initiator,
                                                 template_id=org["template"].pk)
        with _step(observe, "submit (starts workflow)", self.clock):
            instance = services.submit_for_approval(actor=initiator, submission_id=draft.pk,
                                                    values=_values(i))
        steps = 2
        while True:
            task = (ApprovalTask.objects.filter(instance_id=instance.pk, status="open")
                    .only("pk", "assignee_id", "node_id").first())
            if task is None:
                return steps
            actor = deciders[task.assignee_id]
            if task.node_id == "archive":
                with _step(observe, "complete (finishes)", self.clock):
                    services.complete(actor=actor, task_id=task.pk)
            else:
                with _step(observe, f"approve {task.node_id} (opens next)", self.clock):
                    services.approve(actor=actor, task_id=task.pk)
            steps += 1

    def run(self, count: int) -> int:
        return sum(self.one() for _ in range(count))

    def warm_up(self) -> None:
        self.run(4)

    def count_statements(self) -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        found: dict[str, int] = {}

        def observe(name: str) -> Any:
            return _Counter(connection, CaptureQueriesContext, found, name)

        for _ in range(2):  # one over 50,000, one under
            self.one(observe)
        return found


class _Counter:
    def __init__(self, connection: Any, capture: Any, found: dict[str, int], name: str) -> None:
        self.context, self.found, self.name = capture(connection), found, name

    def __enter__(self) -> None:
        self.context.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.context.__exit__(*exc)
        self.found[self.name] = sum(
            1 for q in self.context.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")))


class _step:
    """One step of a workload: timed into `clock` (unless it is being observed for its
    statements) and shown to `observe`."""

    def __init__(self, observe: Callable[[str], Any] | None, name: str,
                 clock: StepClock | None = None) -> None:
        self.inner = observe(name) if observe else None
        self.name, self.clock = name, (clock if observe is None else None)

    def __enter__(self) -> None:
        if self.inner is not None:
            self.inner.__enter__()
        self.began = time.perf_counter()

    def __exit__(self, *exc: Any) -> None:
        if self.clock is not None:
            self.clock.add(self.name, time.perf_counter() - self.began)
        if self.inner is not None:
            self.inner.__exit__(*exc)


# --- the hand-written SQL floor -----------------------------------------------------------------


class RawInsert:
    """INSERT … VALUES (…), (…) RETURNING id over every column of a model; values prepared once
    from a prototype row, only the varying columns are set per row."""

    def __init__(self, model: Any, **base: Any) -> None:
        from django.db import connection

        prototype = model(**base)
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.base = [f.get_db_prep_save(getattr(prototype, f.attname), connection)
                     for f in self.fields]
        self.head = (f"INSERT INTO {model._meta.db_table} ("
                     + ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
                     + ") VALUES ")
        self.one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"

    def execute(self, cursor: Any, rows: list[dict[str, Any]]) -> list[int]:
        params: list[Any] = []
        for row in rows:
            values = self.base.copy()
            for key, value in row.items():
                values[self.index[key]] = value
            params += values
        cursor.execute(self.head + ", ".join([self.one] * len(rows)) + " RETURNING id", params)
        return [r[0] for r in cursor.fetchall()]


class LeanRawWorkload:
    """The first floor (2026-11): the engine's S2 rows as the fewest INSERT/UPDATE statements,
    one transaction per step, no reads, the audit chain kept, but lighter content than the
    engine writes (a 150-byte state instead of ~650, empty notification and timeline text,
    smaller audit changes, one audit row fewer per instance). Kept for comparison with earlier
    results; `RawWorkload` (same statements, the engine's exact content) is the floor."""

    def __init__(self, org: dict[str, Any]) -> None:
        from django.db import connection

        from sopflow.audit.models import AuditEvent
        from sopflow.form_templates.models import Submission
        from sopflow.notify.models import Notification
        from sopflow.workflow.models import ApprovalTask, Instance, InstanceEvent

        self.org = org
        template = org["template"]
        self.version_id = template.current_version_id
        from sopflow.workflow.definitions import current_version

        self.definition_version_id = current_version(template.pk).pk
        company = org["company"].pk
        self.ops = connection.ops
        self.submission = RawInsert(Submission, company_id=company, template_id=template.pk,
                                    version_id=self.version_id, author_id=org["head"].pk,
                                    title="费用报销", values={})
        self.instance = RawInsert(Instance, company_id=company, submission_id=0,
                                  template_id=template.pk,
                                  definition_version_id=self.definition_version_id,
                                  initiator_id=org["head"].pk, title="费用报销",
                                  status_text="审批中", current_nodes="", revision=1, state={})
        self.task = RawInsert(ApprovalTask, instance_id=0, company_id=company, key="t1",
                              node_id="head", node_name="部门负责人审核",
                              assignee_id=org["head"].pk, reason="部门负责人", comment="")
        self.event = RawInsert(InstanceEvent, instance_id=0, verb="x", node_id="",
                               node_name="", comment="", payload={})
        self.audit = RawInsert(AuditEvent, actor_label="", action="x",
                               object_type="workflow.instance", object_id="0",
                               object_repr="费用报销", company_id=company, changes={},
                               user_agent="", prev_hash="", hash="")
        self.notification = RawInsert(Notification, recipient_id=org["head"].pk, kind="x",
                                      title="", body="", link="", source="")
        self.count = 0
        self.observe: Callable[[str], Any] | None = None
        self.clock = StepClock()

    def run(self, count: int) -> int:
        return sum(self.one() for _ in range(count))

    def count_statements(self) -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        found: dict[str, int] = {}
        self.observe = lambda name: _Counter(connection, CaptureQueriesContext, found, name)
        for _ in range(2):
            self.one()
        self.observe = None
        return found

    def _audit(self, cursor: Any, actor: Any, object_id: int, actions: list[str],
               at: Any) -> None:
        previous = self._head(cursor)
        rows = []
        for action in actions:
            changes = {"name": action, "instance": object_id}
            digest = hashlib.sha256(json.dumps(
                [previous, action, object_id, changes], sort_keys=True,
                ensure_ascii=False).encode()).hexdigest()
            rows.append({"occurred_at": at, "actor_id": actor.pk, "actor_label": actor.name,
                         "action": action, "object_id": str(object_id),
                         "changes": self.ops.adapt_json_value(changes, None),
                         "prev_hash": previous, "hash": digest})
            previous = digest
        self._append(cursor, rows, previous)

    def _head(self, cursor: Any) -> str:
        """Lock (PostgreSQL; SQLite's IMMEDIATE transaction holds the lock) and read the
        audit chain head."""
        cursor.execute("SELECT last_hash FROM audit_auditchainhead WHERE id = 1"
                       + ("" if self.ops.connection.vendor == "sqlite" else " FOR UPDATE"))
        return str(cursor.fetchone()[0])

    def _append(self, cursor: Any, rows: list[dict[str, Any]], last_hash: str) -> None:
        """Insert the chained rows and move the head to the last one."""
        ids = self.audit.execute(cursor, rows)
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s, last_event_id = %s "
                       "WHERE id = 1", [last_hash, ids[-1]])

    def one(self) -> int:
        from django.db import transaction

        from sopflow.core.clock import clock

        # The cursor the engine's own hand-written statements use: on PostgreSQL it binds on
        # the server, so both sides get prepared statements (same connection, same settings).
        from sopflow.core.sql import cursor

        org, i = self.org, self.count
        self.count += 1
        initiator = org["initiators"][i % len(org["initiators"])]
        big = i % 2 == 0
        json_of = self.ops.adapt_json_value
        state = {"status": "running", "active": ["head"], "visited": ["start", "head"],
                 "tasks": {"t1": {"node": "head", "assignee": org["head"].pk}},
                 "form": {"f_total": "60000.00" if big else "3200.00"}}
        with _step(self.observe, "draft", self.clock), transaction.atomic(), cursor() as c:
            at = self.ops.adapt_datetimefield_value(clock.now())
            sub_id = self.submission.execute(c, [{"author_id": initiator.pk, "created_at": at,
                                                  "updated_at": at}])[0]
            self._audit(c, initiator, sub_id, ["form_templates.submission.created"], at)
        with _step(self.observe, "submit (starts workflow)", self.clock), \
                transaction.atomic(), cursor() as c:
            at = self.ops.adapt_datetimefield_value(clock.now())
            c.execute("UPDATE form_templates_submission SET status = %s, submitted_at = %s, "
                      "updated_at = %s, \"values\" = %s WHERE id = %s",
                      ["submitted", at, at, json_of(_values(i), None), sub_id])
            inst_id = self.instance.execute(c, [{
                "submission_id": sub_id, "initiator_id": initiator.pk, "started_at": at,
                "state": json_of(state, None), "current_nodes": "部门负责人审核"}])[0]
            self.task.execute(c, [{"instance_id": inst_id, "opened_at": at}])
            self.event.execute(c, [{"instance_id": inst_id, "verb": verb, "at": at}
                                   for verb in ("workflow.instance.started",
                                                "workflow.task.opened")])
            self._audit(c, initiator, inst_id, ["form_templates.submission.submitted",
                                                "workflow.instance.started",
                                                "workflow.task.opened"], at)
            self.notification.execute(c, [{"recipient_id": org["head"].pk, "created_at": at,
                                           "kind": "workflow.task.assigned"}])
        route = [("head", org["head"], "t1")]
        if big:
            route.append(("finance", org["finance"], "t2"))
        route.append(("archive", org["archivist"], f"t{len(route) + 1}"))
        for position, (node, actor, key) in enumerate(route):
            last = position == len(route) - 1
            name = "complete (finishes)" if last else f"approve {node} (opens next)"
            with _step(self.observe, name, self.clock), transaction.atomic(), cursor() as c:
                at = self.ops.adapt_datetimefield_value(clock.now())
                state = {**state, "active": [] if last else [route[position + 1][0]],
                         "status": "approved" if last else "running"}
                c.execute("UPDATE workflow_instance SET state = %s, status = %s, "
                          "revision = revision + 1, current_nodes = %s, finished_at = %s "
                          "WHERE id = %s AND revision = %s",
                          [json_of(state, None), state["status"], "" if last else node,
                           at if last else None, inst_id, position + 1])
                c.execute("UPDATE workflow_approvaltask SET status = %s, decided_at = %s "
                          "WHERE instance_id = %s AND key = %s",
                          ["completed" if last else "approved", at, inst_id, key])
                verbs = ["workflow.task.approved", "workflow.node.completed"]
                if last:
                    verbs.append("workflow.instance.approved")
                else:
                    following = route[position + 1]
                    self.task.execute(c, [{"instance_id": inst_id, "opened_at": at,
                                           "key": following[2], "node_id": following[0],
                                           "assignee_id": following[1].pk}])
                    verbs.append("workflow.task.opened")
                self.event.execute(c, [{"instance_id": inst_id, "verb": verb, "at": at,
                                        "actor_id": actor.pk} for verb in verbs])
                self._audit(c, actor, inst_id, verbs, at)
                recipient = initiator if last else route[position + 1][1]
                self.notification.execute(c, [{"recipient_id": recipient.pk, "created_at": at,
                                               "kind": "workflow.task.assigned"}])
        return 2 + len(route)


class Recorder:
    """Captures, untimed, what the engine wrote in each step of one S2 instance: the new rows
    of every table and the item and submission rows after the step (`RawWorkload` replays them).
    Used as the `observe` hook of `Workload.one`."""

    TABLES = ("submission", "instance", "task", "event", "audit", "notification")

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    def __call__(self, name: str) -> Any:
        return _Recording(self, name)

    @staticmethod
    def models() -> dict[str, Any]:
        from sopflow.audit.models import AuditEvent
        from sopflow.form_templates.models import Submission
        from sopflow.notify.models import Notification
        from sopflow.workflow.models import ApprovalTask, Instance, InstanceEvent

        return {"submission": Submission, "instance": Instance, "task": ApprovalTask,
                "event": InstanceEvent, "audit": AuditEvent, "notification": Notification}


class _Recording:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name

    def __enter__(self) -> None:
        from django.db.models import Max

        self.marks = {key: model.objects.aggregate(m=Max("pk"))["m"] or 0
                      for key, model in Recorder.models().items()}

    def __exit__(self, *exc: Any) -> None:
        models = Recorder.models()
        step: dict[str, Any] = {"name": self.name}
        for key, model in models.items():
            step[key] = list(model.objects.filter(pk__gt=self.marks[key]).order_by("pk")
                             .values())
        submission = models["submission"].objects.order_by("-pk").values().first()
        instance = models["instance"].objects.filter(
            submission_id=submission["id"]).values().first()
        step["submission_row"], step["instance_row"] = submission, instance
        step["closed"] = [] if instance is None else list(
            models["task"].objects.filter(instance_id=instance["id"],
                                          decided_at__isnull=False).values("key", "status"))
        self.recorder.steps.append(step)


class RawWorkload(LeanRawWorkload):
    """The floor: for each step, the rows the engine wrote for the same kind of instance
    (over or under 50,000; recorded once before timing by `Recorder`), written again as the
    fewest hand-written INSERT/UPDATE statements (one per table), one transaction per step:
    no reads but the audit head, the audit hash chain computed, only ids, times and the
    chain changed. Same statements as `LeanRawWorkload`, the engine's exact content."""

    def __init__(self, org: dict[str, Any], scripts: dict[bool, list[dict[str, Any]]]) -> None:
        super().__init__(org)
        self.scripts = scripts

    @classmethod
    def recorded(cls, org: dict[str, Any]) -> RawWorkload:
        """Record one instance of each kind with the engine, then build the floor on it."""
        engine = Workload(org)
        scripts = {}
        for big in (True, False):
            engine.count = 0 if big else 1  # even: over 50,000; odd: under
            recorder = Recorder()
            engine.one(recorder)
            known: set[str] = set()
            for step in recorder.steps:  # the task each step decided
                step["closing"] = next((c for c in step["closed"] if c["key"] not in known),
                                       None)
                known |= {c["key"] for c in step["closed"]}
            scripts[big] = recorder.steps
        return cls(org, scripts)

    def _audit_rows(self, cursor: Any, rows: list[dict[str, Any]], ids: dict[str, int],
                    at: Any) -> None:
        """The recorded audit rows again, chained: `ids` gives each object type's new id."""
        previous = self._head(cursor)
        written = []
        stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
        for row in rows:
            target = str(ids[row["object_type"]])
            # The audit chain's documented hash (audit.services.compute_hash), by hand, so
            # `audit_verify` accepts the floor's rows too.
            digest = hashlib.sha256(json.dumps({
                "prev": previous, "at": stamp, "actor": row["actor_id"],
                "actor_label": row["actor_label"], "action": row["action"],
                "object": [row["object_type"], target, row["object_repr"]],
                "company": row["company_id"], "changes": row["changes"], "ip": row["ip"],
                "ua": row["user_agent"], "channel": row["channel"]}, sort_keys=True,
                ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
            written.append({**{k: v for k, v in row.items() if k != "id"}, "occurred_at": at,
                            "object_id": target, "prev_hash": previous, "hash": digest,
                            "changes": self.ops.adapt_json_value(row["changes"], None)})
            previous = digest
        self._append(cursor, written, previous)

    def one(self) -> int:
        from django.db import transaction

        from sopflow.core.clock import clock
        from sopflow.core.sql import cursor  # the engine's cursor (prepared on PostgreSQL)

        org, i = self.org, self.count
        self.count += 1
        initiator = org["initiators"][i % len(org["initiators"])]
        json_of, when = self.ops.adapt_json_value, self.ops.adapt_datetimefield_value
        script = self.scripts[i % 2 == 0]
        sub_id = inst_id = 0
        for number, step in enumerate(script):
            with _step(self.observe, step["name"], self.clock), transaction.atomic(), \
                    cursor() as c:
                now = clock.now()
                at = when(now)
                if number == 0:  # draft: the submission and its audit row
                    row = step["submission"][0]
                    sub_id = self.submission.execute(c, [{
                        "author_id": initiator.pk, "created_at": at, "updated_at": at,
                        "title": row["title"], "values": json_of(row["values"], None),
                        "computed": json_of(row["computed"], None)}])[0]
                    self._audit_rows(c, step["audit"], {"form_templates.submission": sub_id},
                                     now)
                    continue
                after = step["instance_row"]
                if number == 1:  # submit: the submission, then the item is created
                    done = step["submission_row"]
                    c.execute("UPDATE form_templates_submission SET \"values\" = %s, "
                              "computed = %s, status = %s, submitted_at = %s, updated_at = %s, "
                              "revision = revision + 1 WHERE id = %s AND status = %s",
                              [json_of(done["values"], None), json_of(done["computed"], None),
                               "submitted", at, at, sub_id, "draft"])
                    inst_id = self.instance.execute(c, [{
                        "submission_id": sub_id, "initiator_id": initiator.pk,
                        "started_at": at, "title": after["title"],
                        "state": json_of(after["state"], None), "status": after["status"],
                        "status_text": after["status_text"],
                        "current_nodes": after["current_nodes"]}])[0]
                else:
                    c.execute("UPDATE workflow_instance SET state = %s, status = %s, "
                              "status_text = %s, current_nodes = %s, finished_at = %s, "
                              "revision = revision + 1 WHERE id = %s AND revision = %s",
                              [json_of(after["state"], None), after["status"],
                               after["status_text"], after["current_nodes"],
                               at if after["finished_at"] else None, inst_id, number - 1])
                    closed = step["closing"]
                    c.execute("UPDATE workflow_approvaltask SET status = %s, decided_at = %s "
                              "WHERE instance_id = %s AND key = %s",
                              [closed["status"], at, inst_id, closed["key"]])
                if step["task"]:
                    self.task.execute(c, [{
                        "instance_id": inst_id, "opened_at": at, "key": t["key"],
                        "node_id": t["node_id"], "node_name": t["node_name"],
                        "assignee_id": t["assignee_id"], "reason": t["reason"]}
                        for t in step["task"]])
                self.event.execute(c, [{
                    "instance_id": inst_id, "verb": e["verb"], "at": at,
                    "actor_id": e["actor_id"], "node_id": e["node_id"],
                    "node_name": e["node_name"], "comment": e["comment"],
                    "payload": json_of(e["payload"], None)} for e in step["event"]])
                self._audit_rows(c, step["audit"], {"form_templates.submission": sub_id,
                                                    "workflow.instance": inst_id}, now)
                self.notification.execute(c, [{
                    "recipient_id": n["recipient_id"], "created_at": at, "kind": n["kind"],
                    "title": n["title"], "body": n["body"], "link": f"/approvals/{inst_id}/",
                    "source": f"workflow.instance:{inst_id}"} for n in step["notification"]])
        return len(script)


# --- state size ---------------------------------------------------------------------------------


def state_sizes(org: dict[str, Any], steps_count: int) -> list[tuple[int, int]]:
    from sopflow.form_templates.services import submissions
    from sopflow.form_templates.tests.builders import build_template
    from sopflow.workflow import services
    from sopflow.workflow.definitions import publish_definition
    from sopflow.workflow.models import ApprovalTask, Instance

    head = org["head"]
    child = None
    for number in range(steps_count, 0, -1):
        child = {"type": "approver", "id": f"n{number}", "name": f"第{number}步", "mode": "any",
                 "approver_rule": {"type": "users", "user_ids": [head.pk]}, "child": child}
    template = build_template(org["company"], name="长流程（基准）", code="bench-long")
    publish_definition(actor=None, template=template,
                       spec={"flow": {"type": "start", "id": "start", "child": child}})
    initiator = org["initiators"][0]
    draft = submissions.start_submission(actor=initiator, template_id=template.pk)
    instance = services.submit_for_approval(actor=initiator, submission_id=draft.pk,
                                            values=_values(1))
    sizes = []
    for step in range(1, steps_count + 1):
        task = ApprovalTask.objects.get(instance=instance, status="open")
        services.approve(actor=head, task_id=task.pk, comment=f"同意 {step}")
        state = Instance.objects.values_list("state", flat=True).get(pk=instance.pk)
        if step in (1, 2, 5, 10, 20, steps_count):
            sizes.append((step, len(json.dumps(state, ensure_ascii=False).encode())))
    return sizes


# --- history + inbox latency --------------------------------------------------------------------


class History:
    """Decided tasks (with their submissions and items) for the inbox user, made with bulk
    INSERT … SELECT; 30 of them stay open so the todo page and the badge have rows."""

    def __init__(self, org: dict[str, Any]) -> None:
        self.org, self.made = org, 0

    def grow_to(self, target: int) -> None:
        from django.db import connection, transaction

        count = target - self.made
        if count <= 0:
            return
        org = self.org
        sqlite = connection.vendor == "sqlite"
        user = org["inbox_user"].pk
        version = LeanRawWorkload(org)
        with transaction.atomic(), connection.cursor() as c:
            c.execute("SELECT COALESCE(MAX(id), 0) FROM form_templates_submission")
            sub_from = c.fetchone()[0]
            c.execute("SELECT COALESCE(MAX(id), 0) FROM workflow_instance")
            inst_from = c.fetchone()[0]
            series = ("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                      "WHERE n < %s) " if sqlite else "")
            source = "s" if sqlite else "generate_series(1, %s) AS s(n)"
            at = "datetime('now', '-' || (s.n %% 700) || ' days')" if sqlite else \
                "now() - (s.n %% 700) * interval '1 day'"
            self._insert(c, version.submission, series, source, count, {
                "title": "'历史报销 ' || s.n", "created_at": at, "updated_at": at,
                "status": "'submitted'", "author_id": str(user)})
            self._insert(c, version.instance, "", "form_templates_submission sub", None, {
                "submission_id": "sub.id", "title": "sub.title", "started_at": "sub.created_at",
                "finished_at": "sub.created_at", "status": "'approved'",
                "initiator_id": "sub.author_id"}, where=f"sub.id > {int(sub_from)}")
            self._insert(c, version.task, "", "workflow_instance i", None, {
                "instance_id": "i.id", "assignee_id": str(user), "opened_at": "i.started_at",
                "decided_at": "i.started_at", "status": "'approved'", "node_id": "'finance'",
                "node_name": "'财务审核'"}, where=f"i.id > {int(inst_from)}")
            # keep 30 open tasks for the todo page / badge
            if self.made == 0:
                c.execute("UPDATE workflow_approvaltask SET status = 'open', decided_at = NULL "
                          "WHERE id IN (SELECT id FROM workflow_approvaltask WHERE assignee_id "
                          "= %s ORDER BY id DESC LIMIT 30)", [user])
        with connection.cursor() as c:
            c.execute("ANALYZE")
        self.made = target

    @staticmethod
    def _insert(cursor: Any, raw: RawInsert, prefix: str, source: str, count: int | None,
                expressions: dict[str, str], where: str = "") -> None:
        columns, select, params = [], [], []
        for field, base in zip(raw.fields, raw.base, strict=True):
            columns.append(field.column)
            if field.attname in expressions:
                select.append(expressions[field.attname])
            else:
                select.append("%s")
                params.append(base)
        sql = (prefix + f"INSERT INTO {raw.head.split(' (')[0].split()[-1]} ("
               + ", ".join(f'"{c}"' for c in columns) + ") SELECT " + ", ".join(select)
               + f" FROM {source}" + (f" WHERE {where}" if where else ""))
        lead = [count] if count is not None and prefix else []
        tail = [count] if count is not None and not prefix else []
        # SQLite: the series bound comes first (in the WITH); PostgreSQL: in FROM, after SELECT.
        cursor.execute(sql, lead + params + tail)


def inbox_latency(user: Any, repeat: int = 30) -> dict[str, float]:
    from sopflow.workflow import queries

    def page() -> None:
        queries.inbox_counts(user)
        list(queries.inbox_for(user, "todo"))

    def badge() -> None:
        queries.badge_count(user)

    def done_tab() -> None:
        list(queries.inbox_for(user, "done"))

    result = {}
    for name, call in (("page", page), ("badge", badge), ("done-tab", done_tab)):
        call()
        samples = []
        for _ in range(repeat):
            begin = time.perf_counter()
            call()
            samples.append(time.perf_counter() - begin)
        result[name] = statistics.median(samples)
    return result


if __name__ == "__main__":
    main()
