"""deploy/healthcheck.py, the container's HEALTHCHECK: the Host it sends is one Django allows.

Sending the first ALLOWED_HOSTS entry as it is kept a container with `.example.com` or `*`
unhealthy forever; the probe turns a pattern into a name the pattern matches instead.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from taskapi.tests.servers import PROJECT_VARIABLES

HEALTHCHECK = Path(settings.BASE_DIR) / "deploy" / "healthcheck.py"
spec = importlib.util.spec_from_file_location("healthcheck", HEALTHCHECK)
healthcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(healthcheck)


@pytest.mark.parametrize(
    ("allowed_hosts", "probe_host"),
    [
        (["api.example.com", "www.example.com"], "api.example.com"),
        ([".example.com"], "example.com"),
        (["*"], "localhost"),
        (["127.0.0.1"], "127.0.0.1"),
        (["[::1]"], "[::1]"),
    ],
)
def test_the_probe_names_a_host_that_allowed_hosts_matches(allowed_hosts, probe_host):
    assert healthcheck.probe_host(allowed_hosts) == probe_host


@pytest.mark.parametrize("pattern", ["*", ".example.com"])
def test_a_probe_of_gunicorn_succeeds_whatever_the_first_allowed_host_pattern(
    gunicorn_server, tmp_path, pattern
):
    server = gunicorn_server(
        workers=1,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # The fixture waits for /health as 127.0.0.1; the probe is told of the pattern only.
        ALLOWED_HOSTS=f"{pattern},127.0.0.1",
    )
    env = {
        **os.environ,
        **dict.fromkeys(PROJECT_VARIABLES, ""),
        "ALLOWED_HOSTS": pattern,
        "GUNICORN_BIND": server.url.removeprefix("http://"),
    }

    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=30
    )

    assert (result.returncode, result.stderr) == (0, "")


def test_a_probe_of_nothing_listening_fails(tmp_path):
    env = {**os.environ, "ALLOWED_HOSTS": "localhost", "GUNICORN_BIND": "127.0.0.1:9"}

    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 1
    assert "health check failed" in result.stderr
