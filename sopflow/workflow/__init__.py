"""Approval workflows: the pure engine (`engine/`) and, beside it, its Django persistence."""
