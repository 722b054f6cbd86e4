"""What /proc says about the machine and its processes: CPU time and resident memory.

The benchmark shares its cores with PostgreSQL and whatever else runs on the machine; CPU time
per process tells which of them a scenario kept busy, and shows when something unrelated
(another test run, a build) competed for the cores and made the numbers unreliable.
"""

import os
from pathlib import Path
from typing import NamedTuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProcessStat(NamedTuple):
    name: str
    parent: int
    cpu_seconds: float
    # CPU time of its children that have exited and been waited for.
    children_cpu_seconds: float


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (not idle, not waiting on I/O) since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / CLOCK_TICKS


def process_stat(pid: int) -> ProcessStat | None:
    """The process's /proc/<pid>/stat, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The name (field 2) is in parentheses and may hold spaces; the fields after it are
    # fixed: the parent is the 4th overall, utime, stime, cutime and cstime the 14th to 17th.
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat.rpartition(")")[2].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ProcessStat(
        name, int(fields[1]), (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS
    )


def live_processes() -> list[tuple[int, ProcessStat]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := process_stat(int(entry.name))) is not None:
            found.append((int(entry.name), stat))
    return found


def process_cpu_seconds(pids: list[int]) -> float:
    return sum(stat.cpu_seconds for pid in pids if (stat := process_stat(pid)) is not None)


def named_cpu_seconds(name: str) -> float:
    """CPU seconds of every live process with this command name (e.g. `redis-server`)."""
    return sum(stat.cpu_seconds for _, stat in live_processes() if stat.name == name)


def postgres_cpu_seconds(postmaster: int, database: str) -> float:
    """CPU seconds of the PostgreSQL server whose postmaster is given, as far as it works for
    `database`: the postmaster and its background processes (which work for every database)
    and the database's client backends, but not other databases' backends, which other
    people's work keeps busy.

    The postmaster's exited children count too: parallel query workers live for one query,
    and their time only shows there (as does that of any backend that exited meanwhile).
    """
    total = 0.0
    for pid, stat in live_processes():
        if pid == postmaster:
            total += stat.cpu_seconds + stat.children_cpu_seconds
        elif stat.parent == postmaster and serves_database(pid, database):
            total += stat.cpu_seconds
    return total


def serves_database(pid: int, database: str) -> bool:
    """False for a PostgreSQL client backend of another database; True otherwise."""
    try:
        title = (Path(f"/proc/{pid}/cmdline").read_bytes()).replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, UnicodeDecodeError):
        return False
    # A client backend's title: "postgres: 15/main: USER DATABASE HOST(PORT) STATE".
    words = title.rpartition(": ")[2].split()
    is_client = len(words) >= 3 and ("(" in words[2] or words[2] == "[local]")
    return not is_client or words[1] == database


def parent_pid(pid: int) -> int:
    stat = process_stat(pid)
    if stat is None:
        raise LookupError(f"no process {pid}")
    return stat.parent


def resident_kib(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")
