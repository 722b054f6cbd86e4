"""gunicorn settings, read from the environment (see README: Configuration)."""

import logging
import math
import os
import socket
from pathlib import Path

from dotenv import load_dotenv
from gunicorn.util import parse_address

from taskapi.environment import env_bool, env_int, env_str

# The same `.env` the settings read, so GUNICORN_* and LOG_LEVEL set there apply here too.
load_dotenv(Path(__file__).resolve().parent / ".env", override=False)


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, capped by a cgroup CPU quota.

    A container limited to 2 CPUs on a 64-core host sees 64 in os.cpu_count(); the quota
    (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`) is what it may really use.
    """
    cpus = len(os.sched_getaffinity(0))
    for quota_file, period_file in (
        ("/sys/fs/cgroup/cpu.max", None),
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
    ):
        try:
            fields = Path(quota_file).read_text().split()
            if period_file is not None:
                fields.append(Path(period_file).read_text().strip())
        except OSError:
            continue
        quota, period = fields[0], fields[1]
        if quota not in {"max", "-1"}:
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
        break
    return cpus


DEFAULT_THREADS = 8

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
# Rate-limit counters live in Redis when REDIS_URL is set, shared by every process. Without it
# each process counts in its own memory, so the default is then one process: its counts are
# the only ones, and every limit holds exactly as documented.
SHARED_RATE_LIMITS = bool(env_str("REDIS_URL", ""))
# gthread workers, measured against sync ones in bench/README.md ("The worker model"). They
# keep a client's connection alive where sync workers answer `Connection: close` and every
# request pays a new TCP connection; an idle kept-alive connection waits in the worker's
# poller without holding a thread, and a slow client holds one thread, not a whole worker.
# Serving is CPU-bound Python that holds the GIL, so one process per CPU; its threads fill
# the waits on PostgreSQL and Redis. GUNICORN_THREADS=1 runs sync workers.
workers = env_int("GUNICORN_WORKERS", available_cpus() if SHARED_RATE_LIMITS else 1)
threads = env_int("GUNICORN_THREADS", DEFAULT_THREADS)
worker_class = "gthread" if threads > 1 else "sync"
# A kept-alive connection stays with the worker that accepted it. From one shared socket, most
# of a burst of new connections can land on one worker, whose single core (the GIL) then caps
# them all while another core idles (bench/README.md, "Spreading connections"). With
# reuse_port, gunicorn (23 and later) gives each worker a listening socket of its own, bound
# with SO_REUSEPORT, and the kernel spreads new connections across them by hash. Only for TCP
# and more than one worker; `check_address_is_free` keeps the start failing when the port is
# taken, which SO_REUSEPORT alone would let through.
TCP_BIND = not bind.startswith(("unix:", "fd://"))
reuse_port = env_bool(
    "GUNICORN_REUSE_PORT", workers > 1 and TCP_BIND and hasattr(socket, "SO_REUSEPORT")
)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak in any dependency cannot grow without bound.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# The application writes the access log itself, as JSON lines on stdout carrying the request
# id, user id and duration; set GUNICORN_ACCESS_LOG=- to get gunicorn's plain one as well.
accesslog = env_str("GUNICORN_ACCESS_LOG", "") or None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "taskapi.logs.JSONFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        # logconfig_dict alone switches gunicorn's access log on; keep it quiet unless asked for.
        "gunicorn.access": {
            "handlers": ["stdout"],
            "level": "INFO" if accesslog else "WARNING",
            "propagate": False,
        },
    },
}
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")


def check_address_is_free(server) -> None:
    """With reuse_port the master binds nothing, and a second server started on the same port
    would share it silently, each answering some of the clients. Binding once here without
    SO_REUSEPORT fails on a port anything listens on, as a plain bind would."""
    if not (reuse_port and TCP_BIND):
        return
    # The address as gunicorn itself parses it: "host", "host:port", "[::1]:port", "tcp://...".
    host, port = parse_address(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn's own sockets: connections of an earlier run in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            server.log.error("Cannot listen on %s: %s", bind, error)
            raise SystemExit(1) from error


def on_starting(server) -> None:
    check_address_is_free(server)


def when_ready(server) -> None:
    """Says once per start, from the master, when rate limits are not shared by processes."""
    if SHARED_RATE_LIMITS:
        return
    if server.num_workers > 1:
        message = (
            "REDIS_URL is not set: each of the %d worker processes counts rate limits alone, "
            "so a limit lets up to %d times its count through; set REDIS_URL, or "
            "GUNICORN_WORKERS=1"
        )
        logging.getLogger("taskapi").warning(message, server.num_workers, server.num_workers)
    else:
        logging.getLogger("taskapi").warning(
            "REDIS_URL is not set: rate limits are counted in this one process's memory, "
            "exact here but not shared with any other instance"
        )
