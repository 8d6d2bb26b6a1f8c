"""The flow designer: pure editing, lint, simulation, BPMN and version tools over engine JSON.

`editing`, `lint`, `simulate`, `bpmn`, `conditions` and `versions` import no Django; `services`
and `queries` are the Django-facing side used by `sopflow.web` and `sopflow.api`.
"""
