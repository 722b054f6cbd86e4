"""`make prod`: the production topology on one machine, in the foreground.

    client -> nginx 127.0.0.1:PORT -> gunicorn instance 1 and 2 -> pgbouncer -> PostgreSQL
                                                                 (and Redis from REDIS_URL)

This script renders deploy/*.template into a runtime directory, runs the release steps
(migrate, collectstatic), starts pgbouncer, the two gunicorn instances (each its own process
group and port) and nginx, from the system's packages, and waits. It restarts nothing: an
instance that dies is taken out of rotation by nginx, and the other serves. SIGTERM or
SIGINT stops everything in order, letting requests in flight finish: nginx first (it stops
accepting and finishes what it has), then gunicorn (its graceful timeout), then pgbouncer.
If nginx or pgbouncer dies, everything stops and the exit status is 1.

`--pgbouncer-only` runs just the pgbouncer, pooling every database of DATABASE_URL's server
under its own name: CI runs the test suite through it, as production reaches the database.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from dotenv import load_dotenv
from healthcheck import probe_host

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEPLOY_DIR = PROJECT_DIR / "deploy"
START_TIMEOUT = 30
# pgbouncer tracks prepared statements per client from this version on.
PREPARED_STATEMENTS_SINCE = (1, 21)


def log(message: str) -> None:
    print(f"prod: {message}", file=sys.stderr, flush=True)


def render(template: str, target: Path, values: dict[str, str]) -> None:
    """Fills in `${NAME}` for the given names only, as envsubst with a list of names does:
    nginx's own `$variables` stay as they are."""
    text = (DEPLOY_DIR / template).read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text)))
    if left:
        raise SystemExit(f"prod: {template} needs {', '.join(left)}")
    target.write_text(text)


def connstr_value(value: str) -> str:
    """A value for pgbouncer's `key=value` [databases] lines: quoted when it holds a space or
    a quote, a quote inside doubled (pgbouncer refuses libpq's backslash escape)."""
    if value and not re.search(r"[\s']", value):
        return value
    return "'" + value.replace("'", "''") + "'"


def pgbouncer_version(pgbouncer: str) -> tuple[int, int]:
    output = subprocess.run([pgbouncer, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"PgBouncer (\d+)\.(\d+)", output)
    if match is None:
        raise SystemExit(f"prod: cannot tell the version of {pgbouncer}: {output!r}")
    return int(match[1]), int(match[2])


def wait_for(what: str, ready, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"prod: {what} exited with {process.returncode} while starting")
        if ready():
            return
        time.sleep(0.1)
    raise SystemExit(f"prod: {what} did not start within {START_TIMEOUT} s")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def answers_health(port: int, host: str) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def render_pgbouncer_ini(
    pgbouncer: str, database: dict, port: int, target: Path, *, every_database: bool
) -> bool:
    """Writes pgbouncer's configuration for `database` (a dj_database_url dict) and tells
    whether this pgbouncer keeps prepared statements apart. `every_database` serves any
    database of that server under its own name (a `*` entry), as the test suite needs: it
    creates and drops `test_<name>` through the pooler."""
    prepared = pgbouncer_version(pgbouncer) >= PREPARED_STATEMENTS_SINCE
    server = " ".join(
        f"{key}={connstr_value(str(value))}"
        for key, value in [
            ("host", database["HOST"] or "127.0.0.1"),
            ("port", database["PORT"] or 5432),
            ("dbname", None if every_database else database["NAME"]),
            ("user", database["USER"]),
            ("password", database["PASSWORD"]),
        ]
        if value
    )
    # It holds the database password: readable by this user only (pgbouncer reads it
    # before it drops to `nobody`).
    target.touch(mode=0o600)
    target.chmod(0o600)
    render(
        "pgbouncer.ini.template",
        target,
        {
            "PGBOUNCER_DATABASE": f"{'*' if every_database else database['NAME']} = {server}",
            "PGBOUNCER_LISTEN_ADDR": "127.0.0.1",
            "PGBOUNCER_PORT": str(port),
            "PGBOUNCER_PREPARED_STATEMENTS": (
                "max_prepared_statements = 200"
                if prepared
                else "; this pgbouncer predates max_prepared_statements (1.21)"
            ),
        },
    )
    return prepared


class Topology:
    """The processes of the topology, started and stopped in order."""

    def __init__(self, options: argparse.Namespace):
        self.options = options
        self.runtime = Path(options.runtime_dir).resolve()
        self.pgbouncer: subprocess.Popen | None = None
        self.instances: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None

    def spawn(self, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        # A session of its own: a Ctrl-C in the terminal reaches this script only, which then
        # stops the others in order.
        return subprocess.Popen(command, env=env, cwd=PROJECT_DIR, start_new_session=True)

    def start(self) -> None:
        options = self.options
        self.runtime.mkdir(parents=True, exist_ok=True)
        database = dj_database_url.parse(os.environ["DATABASE_URL"])
        if database["ENGINE"] != "django.db.backends.postgresql":
            raise SystemExit("prod: DATABASE_URL must be a postgres:// URL")

        pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        pgbouncer_ini = self.runtime / "pgbouncer.ini"
        prepared = render_pgbouncer_ini(
            pgbouncer,
            database,
            options.pgbouncer_port,
            pgbouncer_ini,
            every_database=options.pgbouncer_only,
        )
        if options.pgbouncer_only:
            self.start_pgbouncer(pgbouncer, pgbouncer_ini)
            log(
                f"pgbouncer on 127.0.0.1:{options.pgbouncer_port} pools every database of "
                f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
                f"{', prepared statements on' if prepared else ''}"
            )
            return
        upstreams = [f"127.0.0.1:{port}" for port in options.app_ports]
        render(
            "taskapi.conf.template",
            self.runtime / "taskapi.conf",
            {
                "NGINX_LISTEN": f"127.0.0.1:{options.port}",
                "APP_UPSTREAM_1": upstreams[0],
                "APP_UPSTREAM_2": upstreams[1],
            },
        )
        render(
            "nginx.conf.template", self.runtime / "nginx.conf", {"RUNTIME_DIR": str(self.runtime)}
        )

        log("release: migrate, collectstatic")
        for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
            if subprocess.run([sys.executable, "manage.py", *step], cwd=PROJECT_DIR).returncode:
                raise SystemExit(f"manage.py {step[0]} failed (its error is above)")

        self.start_pgbouncer(pgbouncer, pgbouncer_ini)

        pooled_url = (
            f"postgres://{quote(database['USER'] or '', safe='')}@127.0.0.1:"
            f"{options.pgbouncer_port}/{quote(database['NAME'], safe='')}"
        )
        host = probe_host([h.strip() for h in os.environ["ALLOWED_HOSTS"].split(",")])
        for number, port in enumerate(options.app_ports, start=1):
            env = {
                **os.environ,
                "DATABASE_URL": pooled_url,
                "DATABASE_POOLER": "pgbouncer",
                "DATABASE_POOLER_PREPARED_STATEMENTS": "true" if prepared else "false",
                "GUNICORN_BIND": f"127.0.0.1:{port}",
            }
            command = [sys.executable, "-m", "gunicorn", "taskapi.wsgi"]
            command += [
                "--config",
                "gunicorn.conf.py",
                "--pid",
                str(self.runtime / f"app{number}.pid"),
            ]
            self.instances.append(self.spawn(command, env))
        for number, (port, instance) in enumerate(
            zip(options.app_ports, self.instances, strict=True), 1
        ):
            wait_for(f"gunicorn {number}", lambda p=port: answers_health(p, host), [instance])

        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = self.spawn(
            [nginx, "-p", str(self.runtime), "-c", str(self.runtime / "nginx.conf")]
        )
        wait_for("nginx", lambda: answers_health(options.port, host), [self.nginx])
        log(
            f"serving on http://127.0.0.1:{options.port} (gunicorn on {', '.join(upstreams)}, "
            f"pgbouncer on 127.0.0.1:{options.pgbouncer_port}"
            f"{', prepared statements on' if prepared else ''})"
        )

    def start_pgbouncer(self, pgbouncer: str, pgbouncer_ini: Path) -> None:
        # pgbouncer refuses to run as root; it drops to `nobody` after reading its files.
        as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.pgbouncer = self.spawn([pgbouncer, *as_user, str(pgbouncer_ini)])
        port = self.options.pgbouncer_port
        wait_for("pgbouncer", lambda: port_open(port), [self.pgbouncer])

    def watch(self, stopping: list[int]) -> int:
        """Waits for a stop signal, or for nginx or pgbouncer to die."""
        reported: set[int] = set()
        while not stopping:
            for name, process in (("nginx", self.nginx), ("pgbouncer", self.pgbouncer)):
                if process is not None and process.poll() is not None:
                    log(f"{name} exited with {process.returncode}; stopping everything")
                    return 1
            for number, instance in enumerate(self.instances, start=1):
                if instance.poll() is not None and instance.pid not in reported:
                    reported.add(instance.pid)
                    log(
                        f"gunicorn {number} exited with {instance.returncode}; "
                        "nginx serves from the other instance"
                    )
            time.sleep(0.2)
        log(f"{signal.Signals(stopping[0]).name}: stopping, letting requests in flight finish")
        return 0

    def stop(self) -> None:
        """nginx finishes its requests (SIGQUIT), then gunicorn (SIGTERM, its graceful
        timeout), then pgbouncer (SIGINT: once its clients are gone)."""
        stop_in_order = [
            (self.nginx, signal.SIGQUIT),
            *((instance, signal.SIGTERM) for instance in self.instances),
            (self.pgbouncer, signal.SIGINT),
        ]
        groups = [stop_in_order[:1], stop_in_order[1:-1], stop_in_order[-1:]]
        for group in groups:
            for process, signum in group:
                if process is not None and process.poll() is None:
                    process.send_signal(signum)
            for process, _ in group:
                if process is None:
                    continue
                try:
                    process.wait(timeout=self.options.stop_timeout)
                except subprocess.TimeoutExpired:
                    log(f"pid {process.pid} did not stop in time; killing it")
                    process.kill()
                    process.wait()


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    parser.add_argument(
        "--app-ports", type=lambda s: [int(p) for p in s.split(",")], default=[8001, 8002]
    )
    parser.add_argument("--pgbouncer-port", type=int, default=6432)
    parser.add_argument("--runtime-dir", default=str(PROJECT_DIR / ".prod"))
    parser.add_argument("--stop-timeout", type=float, default=40)
    parser.add_argument(
        "--pgbouncer-only",
        action="store_true",
        help="run only pgbouncer, pooling every database of DATABASE_URL's server under its "
        "own name (no release steps): the test suite runs through it",
    )
    options = parser.parse_args(argv)
    if len(options.app_ports) != 2:
        parser.error("--app-ports takes two ports")
    return options


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    load_dotenv(PROJECT_DIR / ".env", override=False)
    # Production settings; TLS is a proxy's job in front of this machine, so no redirect to
    # HTTPS unless asked for, and nginx is the one proxy that appends to X-Forwarded-For.
    os.environ["ENVIRONMENT"] = "production"
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    for name, default in (
        ("SECURE_SSL_REDIRECT", "false"),
        ("ALLOWED_HOSTS", "127.0.0.1,localhost"),
        # The release's collectstatic rewrites files the instances serve: in the runtime
        # directory, it never touches those of another server run from the same checkout.
        ("STATIC_ROOT", str(Path(options.runtime_dir).resolve() / "static")),
    ):
        # Empty means unset, as in settings.py.
        if not os.environ.get(name, "").strip():
            os.environ[name] = default
    if not os.environ.get("DATABASE_URL", "").strip():
        raise SystemExit("prod: set DATABASE_URL=postgres://... (pgbouncer goes in front of it)")

    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stopping.append(signum))
    topology = Topology(options)
    try:
        topology.start()
        status = topology.watch(stopping)
    except SystemExit as error:
        log(str(error.code))
        status = 1
    finally:
        topology.stop()
    log("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
