"""The container's HEALTHCHECK: GET /health from gunicorn on this machine, exit 0 on a 200.

Django refuses a Host header that ALLOWED_HOSTS does not match, so the probe must name an
allowed host. The first entry as it is will not do: `.example.com` and `*` are patterns, not
host names. The probe turns the first usable pattern into a name it matches (`.example.com`
becomes `example.com`, `*` becomes `localhost`) and checks that with Django's own
validate_host. ALLOWED_HOSTS is not widened for the probe, so no spoofed Host reaches the app
that could not before.
"""

import os
import sys
import urllib.request
from pathlib import Path

from django.http.request import validate_host
from dotenv import load_dotenv


def probe_host(allowed_hosts: list[str]) -> str:
    """A host name that Django's validate_host accepts for `allowed_hosts`."""
    for pattern in allowed_hosts:
        candidate = "localhost" if pattern == "*" else pattern.lstrip(".")
        if candidate and validate_host(candidate, allowed_hosts):
            return candidate
    raise ValueError(f"no host name matches ALLOWED_HOSTS {allowed_hosts!r}")


def allowed_hosts_from_environment() -> list[str]:
    """ALLOWED_HOSTS as settings.py reads it, `.env` included (the real environment wins)."""
    load_dotenv(Path(__file__).resolve().parent.parent / ".env", override=False)
    raw = os.environ.get("ALLOWED_HOSTS", "").strip() or "localhost"
    return [host.strip() for host in raw.split(",") if host.strip()]


def main() -> int:
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health",
        headers={"Host": probe_host(allowed_hosts_from_environment())},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"health check failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
