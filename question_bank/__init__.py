"""The question bank: items, import/export formats, blueprints, assembly and encrypted packages (no Flask)."""
