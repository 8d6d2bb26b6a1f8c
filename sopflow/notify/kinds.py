"""The notification kinds people can set preferences for. Apps add theirs with `register_kind`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    label: str
    can_digest: bool = False  # CC-style information that may be bundled hourly/daily


KINDS: dict[str, Kind] = {}


def register_kind(key: str, label: str, *, can_digest: bool = False) -> None:
    KINDS[key] = Kind(key, label, can_digest)


def label_of(key: str) -> str:
    kind = KINDS.get(key)
    return kind.label if kind else key


register_kind("workflow.task.assigned", gettext_noop("新的待办"))
register_kind("workflow.task.reminder", gettext_noop("催办提醒"))
register_kind("workflow.task.escalated", gettext_noop("超时升级"))
register_kind("workflow.instance.cc", gettext_noop("抄送"), can_digest=True)
register_kind("workflow.instance.finished", gettext_noop("审批结果"))
register_kind("schedule.reminder", gettext_noop("定时提醒"))
register_kind("system.notice", gettext_noop("系统通知"))
