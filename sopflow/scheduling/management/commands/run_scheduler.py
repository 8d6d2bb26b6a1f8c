"""`manage.py run_scheduler [--once] [--interval 30]`: the time loop (timers, scheduled rules,
retries, digests, the reaper). Safe to run more than once; `serve` starts one beside the worker."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from sopflow.core import request_context
from sopflow.scheduling.services import run_scheduler_tick


class Command(BaseCommand):
    help = "运行定时调度：到期定时器、定时规则、失败重试、摘要和僵死任务回收。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="只执行一轮")
        parser.add_argument("--interval", type=float, default=30.0, help="每轮间隔秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
        with request_context.using(request_context.RequestContext(channel="system")):
            while True:
                close_old_connections()
                counts = run_scheduler_tick()
                busy = {name: count for name, count in counts.items() if count}
                if busy and options["verbosity"] > 0:
                    self.stdout.write(f"scheduler: {busy}")
                if options["once"] or stopping:
                    break
                deadline = time.monotonic() + options["interval"]
                while not stopping and time.monotonic() < deadline:
                    time.sleep(0.2)
