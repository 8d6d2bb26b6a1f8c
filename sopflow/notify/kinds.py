"""The notification kinds people can set preferences for. Apps add theirs with `register_kind`."""

from __future__ import annotations

from dataclasses import dataclass


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


register_kind("workflow.task.assigned", "新的待办")
register_kind("workflow.task.reminder", "催办提醒")
register_kind("workflow.task.escalated", "超时升级")
register_kind("workflow.instance.cc", "抄送", can_digest=True)
register_kind("workflow.instance.finished", "审批结果")
register_kind("schedule.reminder", "定时提醒")
register_kind("system.notice", "系统通知")
