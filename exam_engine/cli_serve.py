"""``exam-engine serve`` and ``exam-engine demo`` (placeholder until the server lands)."""

import click


@click.command("serve")
def serve_cmd() -> None:
    """Serve an existing data folder."""
    raise click.ClickException("not yet implemented")


@click.command("demo")
def demo_cmd() -> None:
    """Seed a fresh demo and serve it."""
    raise click.ClickException("not yet implemented")
