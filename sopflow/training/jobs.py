"""Background entry points of training, and its registrations with other apps: the start gate
and publish hook of form_templates, three scheduler sweeps and the notification kinds."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_noop

from sopflow.form_templates import gates
from sopflow.notify.kinds import register_kind
from sopflow.scheduling import registry

from . import queries
from .services import assignments, retraining


def onboarding_sweep(now: datetime) -> int:
    return assignments.enroll_new_hires(now=now)


def certificate_sweep(now: datetime) -> int:
    return assignments.run_certificate_sweep(now=now)


def workflow_errors_sweep(now: datetime) -> int:
    return retraining.ingest_workflow_errors(now=now)


gates.register_start_gate(queries.gate_refusals)
gates.register_publish_hook(assignments.reassign_after_sop_change)
registry.register_sweep("training.onboarding", onboarding_sweep)
registry.register_sweep("training.certificates", certificate_sweep)
registry.register_sweep("training.workflow_errors", workflow_errors_sweep)
register_kind("training.assigned", gettext_noop("新的培训任务"))
register_kind("training.expiring", gettext_noop("证书即将到期"))
register_kind("training.retraining", gettext_noop("差错复训"))
