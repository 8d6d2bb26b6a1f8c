"""`manage.py serve`: the one-command demo. Migrate, seed the demo company on first start, then run
granian (WSGI), the django-tasks-db worker and the scheduler loop side by side until Ctrl-C.

Production runs the same two processes under a supervisor instead (see README).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from sopflow.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, demo_exists, seed_demo


class Command(BaseCommand):
    help = "Migrate, seed the demo company once, then serve on 127.0.0.1:8000 with the background worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-worker", action="store_true", help="do not start db_worker")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not demo_exists():
            self.stdout.write("首次启动：正在创建演示公司 华启科技 …")
            seed_demo(activity=True)  # reminders fire in the first two minutes
        env = os.environ.copy()
        names = ["granian"] if options["no_worker"] else ["granian", "db_worker", "run_scheduler"]
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "wsgi",
                    "config.wsgi:application",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--workers",
                    str(options["workers"]),
                    "--blocking-threads",
                    "4",
                    "--no-ws",
                ],
                env=env,
            )
        ]
        if not options["no_worker"]:
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "manage.py",
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--interval",
                        "1",
                    ],
                    env=env,
                )
            )
            # Timers, scheduled rules (reminders), retries and digests: no extra process to start.
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "run_scheduler", "--interval", "15"], env=env
                )
            )
        url = f"http://{options['host']}:{options['port']}"
        lines = [f"\nsopflow 已启动：{url}", f"演示账号（密码均为 {DEMO_PASSWORD}）："]
        lines += [f"  {login:<6} {who}" for login, who in DEMO_LOGINS]
        lines.append("按 Ctrl-C 停止。\n")
        self.stdout.write("\n".join(lines))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            for name, child in zip(names, children, strict=True):
                if child.poll() is not None:
                    self.stderr.write(f"子进程 {name} 已退出（代码 {child.returncode}），正在停止。")
                    stopping = True
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
