"""`python -m bench`: configures Django for the benchmark's database, then runs it."""

import signal
import sys

import django

from bench.environment import configure_process


def exit_on_sigterm(signum: int, frame: object) -> None:
    """Turns `kill` into SystemExit, so cleanup still runs: gunicorn stops, the database goes."""
    print("stopped by SIGTERM; cleaning up", file=sys.stderr)
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    configure_process()
    django.setup()
    # Imported once Django is set up: bench.run reaches the models at import time.
    from bench.run import main as run_benchmark

    return run_benchmark()


if __name__ == "__main__":
    raise SystemExit(main())
