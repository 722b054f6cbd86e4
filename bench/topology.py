"""Throughput through the production topology as a share of gunicorn served directly.

`python -m bench --topology-only` (issue 14; issue 16 holds the share to at least 0.85):

    direct:    wrk -> gunicorn (GUNICORN_WORKERS workers) -> PostgreSQL
    topology:  wrk -> nginx -> two gunicorn instances -> pgbouncer -> PostgreSQL
               (deploy/prod.py, the script of `make prod`)

for the list and PATCH title scenarios, on the seeded bench database. The two are timed in
turn, ROUNDS times, direct first, so a drift in the machine's speed moves both alike; the
report gives each one's median and the share. The instances split the direct server's workers
between them by default (`--topology-workers` per instance says otherwise), so the share is
what nginx and pgbouncer cost, not what more workers buy. Each side gets its own warm-up.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.database import drop_database, prepare_database
from bench.environment import gunicorn_workers
from bench.load import LoadError, LoadRun, check_some_completed, run_wrk
from bench.procfs import machine_busy_seconds, named_cpu_seconds, process_cpu_seconds
from bench.report import write_results
from bench.scenarios import bench_user, build_scenarios
from bench.seed import SeededUsers, SeedPlan
from bench.server import PROJECT_DIR, GunicornServer, ServerError, free_port

SCENARIOS = ("list", "update title")
ROUNDS = 3
RESULTS_FILE = PROJECT_DIR / "bench" / "results" / "topology.json"
# Ignored by git (see .gitignore); removed after a run that went well.
SERVER_LOG = PROJECT_DIR / "bench" / "results" / "topology.log.tmp"
START_TIMEOUT_SECONDS = 90
# Issue 16's floor for the share.
GOAL_SHARE = 0.85


class Topology:
    """deploy/prod.py on free ports, as a context manager; `cpu_seconds` by party."""

    def __init__(self, env: dict[str, str], runtime: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.runtime = runtime
        self.command = [
            sys.executable,
            str(PROJECT_DIR / "deploy" / "prod.py"),
            "--port",
            str(self.port),
            "--app-ports",
            f"{free_port()},{free_port()}",
            "--pgbouncer-port",
            str(free_port()),
            "--runtime-dir",
            str(runtime),
        ]
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Topology":
        offset = SERVER_LOG.stat().st_size if SERVER_LOG.exists() else 0
        with SERVER_LOG.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                self.command, cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while b"prod: serving on" not in SERVER_LOG.read_bytes()[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise ServerError(f"deploy/prod.py did not start; see {SERVER_LOG}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def gunicorn_pids(self) -> list[int]:
        masters = [int((self.runtime / f"app{n}.pid").read_text()) for n in (1, 2)]
        workers = []
        for master in masters:
            children = Path(f"/proc/{master}/task/{master}/children")
            workers += [int(pid) for pid in children.read_text().split()]
        return masters + workers

    def cpu_seconds(self) -> dict[str, float]:
        return {
            "gunicorn": process_cpu_seconds(self.gunicorn_pids()),
            "nginx": named_cpu_seconds("nginx"),
            "pgbouncer": named_cpu_seconds("pgbouncer"),
        }


def timed(
    name: str,
    server: GunicornServer | Topology,
    scenario_file: Path,
    positions: dict[Path, int],
    options: argparse.Namespace,
) -> dict[str, Any]:
    """A warm-up, then the timed wrk run; what it measured and the cores each party used."""
    seconds = options.seconds or (2 if options.quick else 10)
    warmup = run_wrk(
        server.base_url,
        scenario_file,
        seconds=1 if options.quick else 2,
        connections=options.connections,
        cpus=options.load_cpus,
        first=positions.get(scenario_file, 0),
    )
    if warmup.errors:
        raise ServerError(f"{warmup.errors} errors in warm-up; see {SERVER_LOG}")
    cpu_before, machine_before = cpu_seconds_of(server), machine_busy_seconds()
    run: LoadRun = run_wrk(
        server.base_url,
        scenario_file,
        seconds=seconds,
        connections=options.connections,
        cpus=options.load_cpus,
        first=warmup.sent,
    )
    positions[scenario_file] = run.sent
    check_some_completed(name, run, lambda: f"; see {SERVER_LOG}")
    cpu = {party: used - cpu_before[party] for party, used in cpu_seconds_of(server).items()}
    served_by = sum(cpu.values())
    cpu["machine"] = machine_busy_seconds() - machine_before
    return {
        "requests_per_second": round(run.requests_per_second, 1),
        # CPU time per request barely moves when other processes compete for the cores,
        # unlike req/s: the steadier measure of what the topology costs on a shared machine.
        "cpu_ms_per_request": round(served_by / run.requests * 1000, 3),
        "latency_ms": {name: round(value, 2) for name, value in run.latency_ms.items()},
        "errors": run.errors,
        "cpu_cores": {party: round(used / run.seconds, 2) for party, used in cpu.items()},
    }


def cpu_seconds_of(server: GunicornServer | Topology) -> dict[str, float]:
    if isinstance(server, Topology):
        return server.cpu_seconds()
    return {"gunicorn": server.cpu_seconds()}


@contextmanager
def served(kind: str, options: argparse.Namespace, directory: Path):
    if kind == "direct":
        env = {**os.environ, "GUNICORN_WORKERS": str(gunicorn_workers())}
        with GunicornServer(env, cpus=options.server_cpus, log_path=SERVER_LOG) as server:
            yield server
        return
    env = {**os.environ, "GUNICORN_WORKERS": str(instance_workers(options))}
    runtime = Path(tempfile.mkdtemp(prefix="prod-", dir=directory))
    with Topology(env, runtime) as topology:
        yield topology


def instance_workers(options: argparse.Namespace) -> int:
    return options.topology_workers or max(1, gunicorn_workers() // 2)


def topology_section(seeded: SeededUsers, options: argparse.Namespace) -> dict[str, Any]:
    """Times SCENARIOS direct and through the topology, ROUNDS times in turn."""
    users = [bench_user(user) for user in seeded.ordinary]
    heavy = bench_user(seeded.heavy)
    scenarios = {s.name: s for s in build_scenarios(users, heavy) if s.name in SCENARIOS}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"direct": [], "topology": []} for name in SCENARIOS
    }
    with tempfile.TemporaryDirectory(prefix="taskapi-bench-topology-") as directory:
        files = {}
        for name, scenario in scenarios.items():
            files[name] = Path(directory) / f"{len(files):02d}.tsv"
            scenario.write_requests(files[name])
        positions: dict[Path, int] = {}
        for round_number in range(1, ROUNDS + 1):
            for kind in ("direct", "topology"):
                print(f"  round {round_number}: {kind}...", flush=True)
                with served(kind, options, Path(directory)) as server:
                    for name in SCENARIOS:
                        measured = timed(
                            f"{name} ({kind})", server, files[name], positions, options
                        )
                        runs[name][kind].append(measured)
    results = {}
    for name in SCENARIOS:
        median = {
            kind: statistics.median(run["requests_per_second"] for run in runs[name][kind])
            for kind in ("direct", "topology")
        }
        cpu_ms = {
            kind: statistics.median(run["cpu_ms_per_request"] for run in runs[name][kind])
            for kind in ("direct", "topology")
        }
        results[name] = {
            "direct_requests_per_second": median["direct"],
            "topology_requests_per_second": median["topology"],
            "share": round(median["topology"] / median["direct"], 3),
            "direct_cpu_ms_per_request": cpu_ms["direct"],
            "topology_cpu_ms_per_request": cpu_ms["topology"],
            # The share the CPU cost allows: direct's CPU per request over the topology's.
            "share_by_cpu": round(cpu_ms["direct"] / cpu_ms["topology"], 3),
            "runs": runs[name],
        }
    return {
        "rounds": ROUNDS,
        "direct_workers": gunicorn_workers(),
        "topology_workers_per_instance": instance_workers(options),
        "scenarios": results,
    }


def topology_text(section: dict[str, Any]) -> str:
    header = (
        f"{'scenario':<14} {'direct req/s':>12} {'make prod req/s':>15} {'share':>6} "
        f"{'cpu ms direct':>13} {'make prod':>9} {'share':>6} goal"
    )
    rows = [
        f"throughput through make prod as a share of direct gunicorn (median of "
        f"{section['rounds']} rounds in turn; direct: {section['direct_workers']} workers, "
        f"make prod: 2 instances of {section['topology_workers_per_instance']})",
        header,
        "-" * len(header),
    ]
    for name, result in section["scenarios"].items():
        met = "met" if result["share"] >= GOAL_SHARE else "NOT met"
        rows.append(
            f"{name:<14} {result['direct_requests_per_second']:>12.0f} "
            f"{result['topology_requests_per_second']:>15.0f} {result['share']:>6.2f} "
            f"{result['direct_cpu_ms_per_request']:>13.2f} "
            f"{result['topology_cpu_ms_per_request']:>9.2f} {result['share_by_cpu']:>6.2f} "
            f">= {GOAL_SHARE} {met}"
        )
    rows += [
        "'cpu ms': CPU time per request of gunicorn, nginx and pgbouncer together; its 'share'",
        "is direct's over make prod's, what the share would be on cores nothing else uses.",
        "",
        "cores busy per run (direct | make prod):",
    ]
    for name, result in section["scenarios"].items():
        for direct, topology in zip(
            result["runs"]["direct"], result["runs"]["topology"], strict=True
        ):
            rows.append(f"  {name:<14} {cores(direct)} | {cores(topology)}")
    return "\n".join(rows)


def cores(run: dict[str, Any]) -> str:
    return f"{run['requests_per_second']:>6.0f} req/s " + " ".join(
        f"{party} {used:.2f}" for party, used in run["cpu_cores"].items()
    )


def topology_only(url: str, options: argparse.Namespace) -> int:
    """The topology section alone, on the seeded bench database (kept with --keep-db)."""
    try:
        seeded, _ = prepare_database(url, SeedPlan(), reuse=options.keep_db)
        section = topology_section(seeded, options)
    except (LoadError, ServerError) as error:
        print(f"benchmark failed: {error}")
        return 1
    finally:
        if not options.keep_db:
            drop_database(url)
    print()
    print(topology_text(section))
    write_results(section, RESULTS_FILE)
    errors = sum(
        run["errors"]
        for result in section["scenarios"].values()
        for kind_runs in result["runs"].values()
        for run in kind_runs
    )
    if errors:
        print(f"{errors} requests failed: the numbers above are not to be trusted")
        return 1
    SERVER_LOG.unlink(missing_ok=True)
    return 0
