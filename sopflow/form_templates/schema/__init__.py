"""Pure-Python form schema: field types, design checks, validation, formulas, diffs (no Django).

Import the submodules directly (`schema.fields`, `schema.validate`, ...); nothing is
re-exported here.
"""
