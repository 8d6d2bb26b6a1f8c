"""The one place that reads the wall clock. Tests replace it with `clock.freeze(...)`/`clock.advance(...)`.

Domain code calls `clock.now()`; the pure engine and schema never read time at all (it is passed in).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone


class Clock:
    """Wall clock that can be frozen and moved by tests (process-wide, thread-safe)."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
        return timezone.now()

    def today_local(self) -> datetime:
        return timezone.localtime(self.now())

    def set(self, moment: datetime) -> None:
        if timezone.is_naive(moment):
            raise ValueError("clock.set needs an aware datetime")
        with self._lock:
            self._frozen = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("clock.advance needs a frozen clock")
            self._frozen = self._frozen + delta

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None

    @contextmanager
    def frozen(self, moment: datetime) -> Iterator[Clock]:
        """Frozen at `moment` inside the block; afterwards as before (frozen or not)."""
        with self._lock:
            previous = self._frozen
        self.set(moment)
        try:
            yield self
        finally:
            with self._lock:
                self._frozen = previous


clock = Clock()
