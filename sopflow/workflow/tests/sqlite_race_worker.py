"""Child side of the SQLite race test: `python sqlite_race_worker.py <role> <state_dir>`.

Run as a separate OS process with DATABASE_URL pointing at a file database (WAL, IMMEDIATE
transactions, busy timeout: the production settings). `seed` migrates and builds instances of an
any-sign node (bob or carol may approve); `race` waits at a file barrier, then approves every
instance as its user; each outcome is printed as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(role: str, state_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    if role == "seed":
        seed(state_dir)
    else:
        race(role, state_dir)


def seed(state_dir: Path) -> None:
    from django.core.management import call_command

    from sopflow.org.tests.builders import build_company, build_user
    from sopflow.workflow.models import ApprovalTask
    from sopflow.workflow.tests.builders import approver, flow_template, running_instance

    call_command("migrate", run_syncdb=True, verbosity=0)
    company = build_company(name="并发测试", code="race")
    alice, bob, carol, dave = (build_user(company, name=name) for name in ("甲", "乙", "丙", "丁"))
    flow = {"type": "start", "id": "start", "child": approver(
        "first", "或签", {"type": "users", "user_ids": [bob.pk, carol.pk]}, mode="any",
        child=approver("next", "下一步", {"type": "users", "user_ids": [dave.pk]}))}
    template = flow_template(company, flow)
    rounds = int(os.environ.get("RACE_ROUNDS", "15"))
    jobs: dict[str, list[list[int]]] = {"bob": [], "carol": []}
    for _ in range(rounds):
        instance = running_instance(alice, template)
        for name, user in (("bob", bob), ("carol", carol)):
            task = ApprovalTask.objects.get(instance=instance, assignee=user)
            jobs[name].append([instance.pk, task.pk, user.pk])
    (state_dir / "jobs.json").write_text(json.dumps(jobs))


def race(role: str, state_dir: Path) -> None:
    from django.db import OperationalError

    from sopflow.core.errors import DomainError
    from sopflow.org.models import User
    from sopflow.workflow import services

    jobs = json.loads((state_dir / "jobs.json").read_text())[role]
    actor = User.objects.get(pk=jobs[0][2])
    for number, (instance_id, task_id, _) in enumerate(jobs):
        _barrier(state_dir, role, number)
        try:
            services.approve(actor=actor, task_id=task_id)
            outcome = "ok"
        except DomainError as error:
            outcome = f"{type(error).__name__}"
        except OperationalError as error:  # what the test is about: must never happen
            outcome = f"OperationalError:{error}"
        print(json.dumps([role, instance_id, outcome]), flush=True)  # noqa: T201  (the result channel)


def _barrier(state_dir: Path, role: str, number: int, timeout: float = 30.0) -> None:
    """Both processes announce round `number`, then spin until both have (a file barrier)."""
    (state_dir / f"{role}.{number}").touch()
    deadline = time.monotonic() + timeout
    while not all((state_dir / f"{other}.{number}").exists() for other in ("bob", "carol")):
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {number}")
        time.sleep(0.0005)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
