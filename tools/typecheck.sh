#!/usr/bin/env bash
# mypy over the strict parts (pyproject: engine, form schema, rules, every services and queries module).
# Imported modules are followed silently: their own errors are reported when they join the list.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(ls sopflow/*/services.py sopflow/*/services/*.py sopflow/*/queries.py 2>/dev/null)
exec .venv/bin/mypy --follow-imports=silent sopflow/workflow/engine sopflow/form_templates/schema sopflow/rules "${files[@]}"
