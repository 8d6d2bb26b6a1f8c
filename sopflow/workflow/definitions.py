"""Workflow definitions: installing the built-in pack for a company, publishing a version, and
the parsed-definition cache (published versions never change, so parsing once per process is safe).

The built-in JSON (`builtin/<template code>.json`) may name people symbolically, because ids
differ per company: an approver rule `{"$people": {"department_heads": [codes], "positions":
[codes]}, "fallback": {...}}` becomes `{"type": "users", "user_ids": [...]}` at install time (or
the fallback rule when nobody matches).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Department, User

from .engine import Definition, RuleType
from .models import DefinitionVersion, WorkflowDefinition

BUILTIN_DIR = Path(__file__).parent / "builtin"


@dataclass(frozen=True)
class Spec:
    """A parsed version: the engine definition plus the template-level options."""

    definition: Definition
    reject_reasons: tuple[str, ...]
    return_reasons: tuple[str, ...]
    batch_approve: bool
    # The people the flow names (`users` rules of task and CC nodes): a command reads them in
    # one statement before the engine asks about them one by one.
    named_user_ids: frozenset[int] = frozenset()


def builtin_specs() -> dict[str, dict[str, Any]]:
    """Template code → the built-in workflow JSON."""
    found = {}
    for path in sorted(BUILTIN_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["template"]] = data
    return found


def install_builtin_definitions(*, actor: User | None, company: Company) -> int:
    """Give every template of the company that has a built-in flow (and no flow yet) version 1."""
    installed = 0
    specs = builtin_specs()
    with transaction.atomic():
        for template in FormTemplate.objects.filter(company=company, code__in=list(specs)):
            if WorkflowDefinition.objects.filter(template=template).exists():
                continue
            spec = dict(specs[template.code])
            spec["flow"] = resolve_people(spec["flow"], company)
            publish_definition(actor=actor, template=template, spec=spec)
            installed += 1
    return installed


def publish_definition(*, actor: User | None, template: FormTemplate,
                       spec: dict[str, Any]) -> DefinitionVersion:
    """Validate `spec` and publish it as the template's next flow version (immutable from now)."""
    parse_spec(spec)  # raises DefinitionError naming the node
    with transaction.atomic():
        definition, _ = WorkflowDefinition.objects.get_or_create(
            template=template, defaults={"company_id": template.company_id,
                                         "name": f"{template.name}审批"})
        number = (definition.versions.order_by("-number").values_list("number", flat=True)
                  .first() or 0) + 1
        version = DefinitionVersion.objects.create(
            definition=definition, number=number, template_version=template.current_version,
            spec=spec, published_at=clock.now())
        FormTemplate.objects.filter(pk=template.pk).update(
            workflow={"definition_id": definition.pk, "version_id": version.pk,
                      "version": number})
        record(actor=actor, action="workflow.definition.published", obj=definition,
               company_id=template.company_id, changes={"version": number})
    return version


def current_version(template_id: int) -> DefinitionVersion | None:
    return (DefinitionVersion.objects.filter(definition__template_id=template_id,
                                             published_at__isnull=False)
            .order_by("-number").first())


def spec_of(version_id: int, raw: dict[str, Any] | None = None) -> Spec:
    """The parsed spec of a published version, cached per process.

    The cache entry is checked against the stored JSON: a rolled-back transaction can leave an
    entry for a primary key that the database later hands out again.
    """
    if raw is None:
        raw = DefinitionVersion.objects.values_list("spec", flat=True).get(pk=version_id)
    cached = _loaded.get(version_id)
    if cached is not None and cached[0] == raw:
        return cached[1]
    spec = parse_spec(raw)
    _loaded[version_id] = (raw, spec)
    return spec


_loaded: dict[int, tuple[dict[str, Any], Spec]] = {}


def spec_of_text(version_id: int, text: str) -> Spec:
    """`spec_of` for the stored JSON as the database returned it (text): the hot path compares
    text instead of decoding it, and parses only on a miss."""
    cached = _texts.get(version_id)
    if cached is not None and cached[0] == text:
        return cached[1]
    spec = parse_spec(json.loads(text))
    _texts[version_id] = (text, spec)
    return spec


_texts: dict[int, tuple[str, Spec]] = {}


def parse_spec(spec: dict[str, Any]) -> Spec:
    definition = Definition.from_dict(spec["flow"])
    named = frozenset(user_id for node in definition.nodes()
                      if (rule := getattr(node, "rule", None)) is not None
                      and rule.type is RuleType.USERS for user_id in rule.user_ids)
    return Spec(definition=definition,
                reject_reasons=tuple(spec.get("reject_reasons") or ()),
                return_reasons=tuple(spec.get("return_reasons") or ()),
                batch_approve=bool(spec.get("batch_approve")), named_user_ids=named)


def resolve_people(node: Any, company: Company) -> Any:
    """Replace symbolic `$people` approver rules with concrete user ids of `company`."""
    if isinstance(node, list):
        return [resolve_people(item, company) for item in node]
    if not isinstance(node, dict):
        return node
    if "$people" in node:
        return _people_rule(node, company)
    return {key: resolve_people(value, company) for key, value in node.items()}


def _people_rule(rule: dict[str, Any], company: Company) -> dict[str, Any]:
    wanted = rule["$people"]
    ids: list[int] = []
    for code in wanted.get("department_heads", []):
        department = Department.objects.filter(company=company, code=code).first()
        if department is not None:
            ids += sorted(department.heads.filter(is_active=True).values_list("pk", flat=True))
    for code in wanted.get("positions", []):
        ids += sorted(User.objects.filter(company=company, position__code=code, is_active=True)
                      .values_list("pk", flat=True))
    unique = list(dict.fromkeys(ids))
    if not unique:
        return dict(rule["fallback"])
    return {"type": "users", "user_ids": unique}
