"""Two OS processes append to the audit chain at once; the chain head lock keeps it intact."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from sopflow.audit.models import AuditEvent
from sopflow.audit.queries import verify_chain
from sopflow.audit.services import record

EVENTS_PER_PROCESS = 50

CHILD = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import connection, transaction
connection.settings_dict["NAME"] = sys.argv[1]
from sopflow.audit.services import record
from sopflow.core import request_context
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
with request_context.using(request_context.RequestContext(channel="system")):
    for number in range(int(sys.argv[3])):
        with transaction.atomic():
            record(actor=None, action="test.concurrent.appended", actor_label=sys.argv[4],
                   changes={"n": number})
"""


@pytest.mark.postgres
def test_chain_stays_intact_when_two_processes_append_at_once(
    transactional_db: None, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); SQLite test databases are per-process")
    with transaction.atomic():
        record(actor=None, action="test.concurrent.seeded", actor_label="准备")
    existing = AuditEvent.objects.count()
    go = tmp_path / "go"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.test"}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                connection.settings_dict["NAME"],
                str(go),
                str(EVENTS_PER_PROCESS),
                label,
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for label in ("进程甲", "进程乙")
    ]
    time.sleep(1.0)  # both children connect and wait at the start line
    go.touch()
    outcomes = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], outcomes
    result = verify_chain()
    assert result.ok, result
    assert result.checked == existing + 2 * EVENTS_PER_PROCESS
    assert AuditEvent.objects.filter(action="test.concurrent.appended").count() == 100
    labels = list(
        AuditEvent.objects.filter(action="test.concurrent.appended")
        .order_by("pk")
        .values_list("actor_label", flat=True)
    )
    assert set(labels) == {"进程甲", "进程乙"}
