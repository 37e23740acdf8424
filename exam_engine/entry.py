"""Console entry point: serving commands get gevent's monkey patching before anything else is imported."""

import sys

SERVING = {"serve", "demo"}


def main() -> None:
    """Run the CLI, monkey-patching for gevent first when the command serves; every file it makes is private."""
    from ground.config import private_process

    private_process()  # umask 077: the database's -wal/-shm, logs, anything a library writes — owner-only
    if SERVING & set(sys.argv[1:]):
        from gevent import monkey

        monkey.patch_all()
    from exam_engine.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
