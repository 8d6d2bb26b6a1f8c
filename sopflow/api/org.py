"""Org endpoints: departments, positions, employees (list/get/create/update, bulk upsert)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["org"])
