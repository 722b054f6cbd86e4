"""gunicorn.conf.py: the worker count follows the CPUs the process may run on."""

import os
import subprocess
import sys

from django.conf import settings

WORKERS_ON_ONE_CPU = (
    "import os, runpy; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
    "print(runpy.run_path('gunicorn.conf.py')['workers'])"
)


def test_the_default_worker_count_follows_the_affinity_mask_not_the_hosts_cpus():
    """A container pinned to one CPU of a bigger host runs 2 x 1 + 1 workers."""
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "GUNICORN_WORKERS": ""}

    result = subprocess.run(
        [sys.executable, "-c", WORKERS_ON_ONE_CPU],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "3\n"
