"""The benchmark's phases, in order: database, scenarios, checks and query counts, pgbench,
timed load, memory, report. Run it as `python -m bench` (bench/__main__.py sets Django up first).
"""

import argparse
import logging
import os
import statistics
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from bench.bulk import bulk_section
from bench.database import (
    create_database,
    drop_database,
    postmaster_pid,
    prepare_database,
    server_version,
)
from bench.environment import database_url, gunicorn_threads, gunicorn_workers, redis_url
from bench.in_process import (
    UnexpectedResponse,
    check_floor_agrees,
    check_same_items,
    executed_sql,
    queries_per_request,
)
from bench.load import LoadError, LoadRun, check_some_completed, run_pgbench, run_wrk
from bench.procfs import (
    machine_busy_seconds,
    named_cpu_seconds,
    postgres_cpu_seconds,
    resident_kib,
)
from bench.report import (
    bulk_text,
    goals,
    goals_table,
    machine_info,
    summary_text,
    write_results,
)
from bench.scenarios import (
    DEEP_PAGE,
    DEEP_WALK,
    HEAVY_USER_TASKS_READ,
    Scenario,
    bench_user,
    build_scenarios,
)
from bench.seed import SeededUsers, SeedPlan
from bench.server import GunicornServer, ServerError
from bench.topology import topology_only

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_FILE = RESULTS_DIR / "latest.json"
# Ignored by git (see .gitignore); removed after a run that went well.
SERVER_LOG = RESULTS_DIR / "gunicorn.log.tmp"
MEMORY_SCENARIO = "mix 80/20"
PGBENCH_CLIENTS = 8


@dataclass(frozen=True)
class Mode:
    name: str
    seconds: int
    warmup_seconds: int
    # Responses after which a lone worker's memory is read.
    memory_checkpoints: tuple[int, ...]


FULL = Mode("full", seconds=10, warmup_seconds=2, memory_checkpoints=(1_000, 100_000))
QUICK = Mode("quick", seconds=2, warmup_seconds=1, memory_checkpoints=(1_000, 10_000))


class BenchmarkFailed(RuntimeError):
    """The setup is broken, or a scenario answered errors; timing it would mean nothing."""


def check_cache() -> None:
    """Fails early when the cache is unreachable: the throttle would let every request through
    and log a warning for each, and the run would time that instead."""
    try:
        cache.set("bench:ping", 1, timeout=5)
    except Exception as error:
        raise BenchmarkFailed(
            f"the cache at {redis_url()} does not answer ({error}); start Redis, or run with "
            "BENCH_REDIS_URL= for the local-memory cache"
        ) from error


def default_cpus() -> tuple[str | None, str | None]:
    """(server, load) cpu lists for taskset; see "Where processes run" in bench/README.md."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return None, None
    return None, str(cores - 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    server_cpus, load_cpus = default_cpus()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark taskapi under gunicorn against its floor (see bench/README.md).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 s per scenario, 10k-request memory check"
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep the bench database afterwards, and reuse a seeded one if it exists",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--seconds", type=int, help="seconds per scenario (10; quick: 2)")
    parser.add_argument(
        "--only",
        help="comma-separated scenario names to run (their floors run too), e.g. 'list,retrieve'",
    )
    parser.add_argument(
        "--server-cpus", default=server_cpus, help=f"taskset cpus for gunicorn ({server_cpus})"
    )
    parser.add_argument(
        "--load-cpus", default=load_cpus, help=f"taskset cpus for wrk and pgbench ({load_cpus})"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="time every scenario this many times, each on a fresh gunicorn, and report the "
        "medians (issue 16 judges its goals on 3)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory check")
    parser.add_argument("--no-pgbench", action="store_true", help="skip pgbench")
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk statements")
    parser.add_argument(
        "--bulk-only",
        action="store_true",
        help="only the bulk statements, on an empty database (SQLite too: see bench/README.md)",
    )
    parser.add_argument(
        "--topology-only",
        action="store_true",
        help="only the share of direct gunicorn that make prod serves (bench/topology.py)",
    )
    parser.add_argument(
        "--topology-workers",
        type=int,
        help="gunicorn workers per make prod instance (half of GUNICORN_WORKERS)",
    )
    return parser.parse_args(argv)


def selected_scenarios(scenarios: list[Scenario], only: str | None) -> list[Scenario]:
    """The named scenarios and the floors they are held to, in the usual order."""
    if not only:
        return scenarios
    names = {name.strip() for name in only.split(",")}
    unknown = names - {scenario.name for scenario in scenarios}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    for scenario in scenarios:
        if scenario.name in names:
            names |= set(scenario.floor_weights)
    return [scenario for scenario in scenarios if scenario.name in names]


def server_environment(workers: int) -> dict[str, str]:
    return {**os.environ, "GUNICORN_WORKERS": str(workers)}


def timed_run(
    server: GunicornServer,
    scenario_file: Path,
    options: argparse.Namespace,
    seconds: int,
    first: int,
) -> tuple[LoadRun, dict[str, float]]:
    """One wrk run, and the cores that gunicorn, PostgreSQL, Redis, wrk and anything else kept
    busy."""
    database = settings.DATABASES["default"]["NAME"]
    postmaster = postmaster_pid()
    server_before = server.cpu_seconds()
    database_before = postgres_cpu_seconds(postmaster, database)
    redis_before = named_cpu_seconds("redis-server")
    machine_before = machine_busy_seconds()
    run = run_wrk(
        server.base_url,
        scenario_file,
        seconds=seconds,
        connections=options.connections,
        cpus=options.load_cpus,
        first=first,
    )
    cpu = {
        "gunicorn": server.cpu_seconds() - server_before,
        "postgres": postgres_cpu_seconds(postmaster, database) - database_before,
        "redis": named_cpu_seconds("redis-server") - redis_before,
        "wrk": run.load_cpu_seconds,
    }
    cpu["other"] = machine_busy_seconds() - machine_before - sum(cpu.values())
    return run, {name: seconds / run.seconds for name, seconds in cpu.items()}


def run_scenarios(
    scenarios: list[Scenario],
    files: dict[str, Path],
    positions: dict[Path, int],
    options: argparse.Namespace,
    mode: Mode,
) -> dict[str, tuple[LoadRun, dict[str, float]]]:
    """Warms up and times every scenario against one gunicorn. `positions` holds, per
    requests file, where its next run starts (so toggles carry on where the last run left
    their tasks); updated as the runs go."""
    measured = {}
    env = server_environment(gunicorn_workers())
    with GunicornServer(env, cpus=options.server_cpus, log_path=SERVER_LOG) as server:
        for scenario in scenarios:
            print(f"  {scenario.name}...", flush=True)
            file = files[scenario.name]
            warmup = run_wrk(
                server.base_url,
                file,
                seconds=mode.warmup_seconds,
                connections=options.connections,
                cpus=options.load_cpus,
                first=positions.get(file, 0),
            )
            if warmup.errors:
                raise BenchmarkFailed(
                    f"{scenario.name}: {warmup.non_2xx} non-2xx, {warmup.socket_errors} socket "
                    f"errors, {warmup.timeouts} timeouts in warm-up{server.log_tail()}"
                )
            measured[scenario.name] = timed_run(
                server, file, options, options.seconds or mode.seconds, first=warmup.sent
            )
            check_some_completed(scenario.name, measured[scenario.name][0], server.log_tail)
            positions[file] = measured[scenario.name][0].sent
    return measured


def memory_check(
    scenario: Scenario,
    scenario_file: Path,
    first: int,
    options: argparse.Namespace,
    mode: Mode,
) -> dict[str, Any]:
    """The workers' resident memory, summed, at boot and after each checkpoint's responses,
    under the worker model the timed runs use (a threaded worker's memory is its threads'
    too), and over the run's connections, so every thread serves."""
    workers = gunicorn_workers()
    env = server_environment(workers)
    checkpoints = []
    with GunicornServer(env, cpus=options.server_cpus, log_path=SERVER_LOG) as server:
        pids = server.worker_pids()

        def reading(requests: int) -> dict[str, Any]:
            per_worker = [resident_kib(pid) / 1024 for pid in pids]
            return {"requests": requests, "rss_mib": sum(per_worker), "per_worker": per_worker}

        checkpoints.append(reading(0))
        served = 0
        for target in mode.memory_checkpoints:
            run = run_wrk(
                server.base_url,
                scenario_file,
                # Long enough for any plausible speed; the script stops at the count.
                seconds=3600,
                connections=options.connections,
                cpus=options.load_cpus,
                first=first,
                max_responses=target - served,
            )
            first = run.sent
            if run.errors:
                raise BenchmarkFailed(f"memory check: {run.errors} errors{server.log_tail()}")
            served += run.requests
            if sorted(server.worker_pids()) != sorted(pids):
                raise BenchmarkFailed(
                    f"memory check: a worker was replaced during the run{server.log_tail()}"
                )
            checkpoints.append(reading(served))
    return {
        "scenario": scenario.name,
        "workers": workers,
        "threads": gunicorn_threads(),
        "checkpoints": checkpoints,
    }


def pgbench_runs(
    floors: dict[str, Scenario], directory: Path, options: argparse.Namespace, mode: Mode
) -> dict[str, dict[str, Any]]:
    """pgbench on exactly the SQL the floor's list runs (COUNT and page), for the first user
    of each named floor scenario."""
    runs = {}
    for name, floor in floors.items():
        script = directory / f"pgbench-{len(runs)}.sql"
        script.write_text("".join(f"{sql};\n" for sql in executed_sql(floor.requests[0])))
        print(f"  pgbench {name}...", flush=True)
        run = run_pgbench(
            settings.DATABASES["default"],
            script,
            seconds=options.seconds or mode.seconds,
            clients=PGBENCH_CLIENTS,
            cpus=options.load_cpus,
        )
        runs[name] = {**run, "clients": PGBENCH_CLIENTS, "sql": script.read_text()}
    return runs


def scenario_result(
    scenario: Scenario,
    run: LoadRun,
    cpu: dict[str, float],
    queries: float,
    floor_rps: dict[str, float],
) -> dict[str, Any]:
    share = None
    if not scenario.is_floor and all(name in floor_rps for name in scenario.floor_weights):
        # Time a request would take at the floor, by share of the scenario's requests.
        floor_seconds = sum(w / floor_rps[name] for name, w in scenario.floor_weights.items())
        share = run.requests_per_second * floor_seconds
    return {
        "name": scenario.name,
        "description": scenario.description,
        "floor": scenario.is_floor,
        "held_to": scenario.floor_weights,
        "requests": run.requests,
        "seconds": round(run.seconds, 2),
        "requests_per_second": round(run.requests_per_second, 1),
        "latency_ms": {name: round(value, 2) for name, value in run.latency_ms.items()},
        "errors": {
            "non_2xx": run.non_2xx,
            "socket": run.socket_errors,
            "timeouts": run.timeouts,
            "total": run.errors,
        },
        "queries_per_request": round(queries, 2),
        # CPU time per request barely moves when other processes compete for the cores,
        # unlike req/s: the steadier measure on a shared machine.
        "gunicorn_cpu_ms_per_request": round(cpu["gunicorn"] / run.requests_per_second * 1000, 2),
        "share_of_floor": None if share is None else round(share, 3),
        "cpu_cores": {name: round(value, 2) for name, value in cpu.items()},
    }


def median_results(each_run: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per scenario, the median over runs of every measured number (each taken on its own:
    the median req/s and the median p99 may come from different runs); shares of the floor
    are each run's own, since a run's floor and product ran minutes apart on one machine."""
    if len(each_run) == 1:
        return each_run[0]

    def median_of(values: list[Any], key: str = "") -> Any:
        first = values[0]
        if key == "errors":
            # Failed requests of any run count: a median would hide one bad run's.
            return {name: sum(value[name] for value in values) for name in first}
        if isinstance(first, dict):
            return {name: median_of([value[name] for value in values], name) for name in first}
        if isinstance(first, bool) or not isinstance(first, int | float) or first is None:
            return first
        return round(statistics.median(values), 3)

    return [median_of(list(results)) for results in zip(*each_run, strict=True)]


def benchmark(
    plan: SeedPlan, seeded: SeededUsers, seed_seconds: float, options: argparse.Namespace
) -> dict[str, Any]:
    mode = QUICK if options.quick else FULL
    print("minting tokens and building scenarios...", flush=True)
    users = [bench_user(user) for user in seeded.ordinary]
    heavy = bench_user(seeded.heavy, tasks_read=HEAVY_USER_TASKS_READ)
    all_scenarios = build_scenarios(users, heavy)
    scenarios = selected_scenarios(all_scenarios, options.only)
    print("checking the floor against the product, counting queries per request...", flush=True)
    for scenario in scenarios:
        if scenario.is_floor:
            check_floor_agrees(scenario)
    by_name = {scenario.name: scenario for scenario in all_scenarios}
    if DEEP_WALK in {scenario.name for scenario in scenarios}:
        check_same_items(by_name[DEEP_WALK], by_name[DEEP_PAGE])
    queries = {scenario.name: queries_per_request(scenario) for scenario in scenarios}

    with tempfile.TemporaryDirectory(prefix="taskapi-bench-") as directory:
        files = {}
        for scenario in all_scenarios:
            files[scenario.name] = Path(directory) / f"{len(files):02d}.tsv"
            scenario.write_requests(files[scenario.name])
        pgbench = None
        if not options.no_pgbench:
            # First, on the database as seeded: the scenarios' writes come later.
            print("database ceiling:", flush=True)
            floors = {"list": by_name["floor list"], "heavy list": by_name["floor heavy list"]}
            pgbench = pgbench_runs(floors, Path(directory), options, mode)
        positions: dict[Path, int] = {}
        runs = []
        for run in range(options.runs):
            print(
                f"timing {len(scenarios)} scenarios, {options.seconds or mode.seconds} s each"
                + (f" (run {run + 1} of {options.runs})" if options.runs > 1 else "")
                + ":"
            )
            runs.append(run_scenarios(scenarios, files, positions, options, mode))
        memory = None
        if not options.no_memory:
            print("memory check...", flush=True)
            memory_file = files[MEMORY_SCENARIO]
            memory = memory_check(
                by_name[MEMORY_SCENARIO],
                memory_file,
                positions.get(memory_file, 0),
                options,
                mode,
            )

    floor_names = {scenario.name for scenario in scenarios if scenario.is_floor}
    each_run = []
    for measured in runs:
        floor_rps = {name: measured[name][0].requests_per_second for name in floor_names}
        each_run.append(
            [
                scenario_result(
                    scenario, *measured[scenario.name], queries[scenario.name], floor_rps
                )
                for scenario in scenarios
            ]
        )
    results = {
        "mode": mode.name,
        "machine": machine_info(server_version()),
        "config": {
            "seconds": options.seconds or mode.seconds,
            "warmup_seconds": mode.warmup_seconds,
            "connections": options.connections,
            "wrk_threads": 1,
            "runs": options.runs,
            "gunicorn_workers": gunicorn_workers(),
            "gunicorn_threads": gunicorn_threads(),
            "server_cpus": options.server_cpus or "all",
            "load_cpus": options.load_cpus or "all",
            "settings": os.environ["DJANGO_SETTINGS_MODULE"],
            "cache": redis_url() or "local memory (per worker)",
            "database": settings.DATABASES["default"]["NAME"],
        },
        "seed": {**asdict(plan), "seconds": round(seed_seconds, 1)},
        "scenarios": median_results(each_run),
        # Every run's own table, when there were several: the medians above come from these.
        "runs": each_run if options.runs > 1 else None,
        "pgbench": pgbench,
        "memory": memory,
    }
    if not options.no_bulk:
        print("bulk statements:", flush=True)
        results["bulk"] = bulk_section()
    results["goals"] = goals(results)
    return results


def bulk_only(url: str) -> int:
    """The bulk section alone, on an empty migrated database: PostgreSQL's is created and
    dropped as for a full run; SQLite's is a file that is migrated and left in place."""
    sqlite = url.startswith("sqlite")
    if not sqlite:
        drop_database(url)
        create_database(url)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        results = {"bulk": bulk_section(), "scenarios": []}
    finally:
        if not sqlite:
            drop_database(url)
    print()
    print(bulk_text(results["bulk"]))
    print()
    print(goals_table(goals(results)))
    return 0


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    # The requests counted in this process would print access-log lines amid the progress.
    logging.getLogger("taskapi.access").setLevel(logging.WARNING)
    url = database_url()
    print(f"preparing {url} ...", flush=True)
    if options.bulk_only:
        return bulk_only(url)
    if options.topology_only:
        return topology_only(url, options)
    plan = SeedPlan()
    try:
        check_cache()
        seeded, seed_seconds = prepare_database(url, plan, reuse=options.keep_db)
        results = benchmark(plan, seeded, seed_seconds, options)
    except (BenchmarkFailed, LoadError, ServerError, UnexpectedResponse) as error:
        print(f"benchmark failed: {error}")
        return 1
    finally:
        if not options.keep_db:
            drop_database(url)
    print()
    print(summary_text(results))
    write_results(results, RESULTS_FILE)
    print(f"\nwrote {RESULTS_FILE.relative_to(RESULTS_DIR.parent.parent)}")
    errors = sum(result["errors"]["total"] for result in results["scenarios"])
    if errors:
        print(f"{errors} requests failed: the numbers above are not to be trusted")
        return 1
    SERVER_LOG.unlink(missing_ok=True)
    return 0
