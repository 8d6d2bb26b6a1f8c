"""Pure-Python rules shared by the form schema and the workflow engine (no Django, no I/O)."""
