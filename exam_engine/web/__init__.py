"""HTTP blueprints and pages."""
