"""SQLite: approvals racing from two OS processes on one file database (WAL, IMMEDIATE
transactions, busy timeout, as in production) serialise. No "database is locked" reaches the
caller, and an any-sign node advances exactly once per item (one winner, one Conflict).

The in-memory test database cannot show this (shared-cache table locks ignore the busy
timeout), so the processes get their own temp file database. Skipped under PostgreSQL, whose
races are in test_races_pg.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("sqlite_race_worker.py")
ROUNDS = 10


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite-specific (PostgreSQL races: test_races_pg.py)")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "sopflow.workflow.tests.sqlite_race_settings", "SOPFLOW_VAR_DIR": str(tmp_path),
            "RACE_ROUNDS": str(ROUNDS), "PYTHONPATH": str(ROOT)}


def test_two_processes_approving_one_any_sign_node_never_see_database_is_locked(
        tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([sys.executable, str(WORKER), "seed", str(tmp_path)], cwd=ROOT, env=env,
                   check=True, timeout=120)
    racers = [subprocess.Popen([sys.executable, str(WORKER), role, str(tmp_path)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for role in ("bob", "carol")]
    outputs = [racer.communicate(timeout=120) for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0], [err for _, err in outputs]
    results = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    assert len(results) == 2 * ROUNDS
    assert not [r for r in results if r[2].startswith("OperationalError")]
    by_instance: dict[int, list[str]] = {}
    for _, instance_id, outcome in results:
        by_instance.setdefault(instance_id, []).append(outcome)
    assert all(sorted(o) == ["Conflict", "ok"] for o in by_instance.values()), by_instance
    with sqlite3.connect(tmp_path / "race.sqlite3") as db:
        per_instance = db.execute(
            "SELECT instance_id, COUNT(*) FROM workflow_approvaltask WHERE node_id = 'next' "
            "GROUP BY instance_id").fetchall()
        approved = db.execute("SELECT COUNT(*) FROM workflow_approvaltask WHERE "
                              "node_id = 'first' AND status = 'approved'").fetchone()[0]
    assert sorted(count for _, count in per_instance) == [1] * ROUNDS
    assert approved == ROUNDS
