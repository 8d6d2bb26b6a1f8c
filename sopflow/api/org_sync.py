"""Bulk upsert of employees by employee number, for syncing from an HR or attendance system."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["org"])
