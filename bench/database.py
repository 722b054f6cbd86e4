"""The benchmark's own PostgreSQL database: created, migrated and seeded here, dropped after.

Creating and dropping go through the server's `postgres` maintenance database with psycopg,
since Django cannot connect to a database that does not exist yet.
"""

import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from bench.procfs import parent_pid
from bench.seed import SeededUsers, SeedPlan, seed, seeded_users


def maintenance_url(url: str) -> str:
    """The same server and credentials, on the `postgres` database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_exists(url: str) -> bool:
    with psycopg.connect(maintenance_url(url), autocommit=True) as admin:
        found = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone()
    return found is not None


def create_database(url: str) -> None:
    with psycopg.connect(maintenance_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


def drop_database(url: str) -> None:
    """Drops the database, ending any session still connected to it."""
    connection.close()
    with psycopg.connect(maintenance_url(url), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(url))
            )
        )


def prepare_database(url: str, plan: SeedPlan, *, reuse: bool) -> tuple[SeededUsers, float]:
    """A migrated, seeded and analysed database; returns its users and the seconds seeding took.

    With reuse, an existing database that holds the whole seed is kept as it is (seconds: 0);
    anything else starts from an empty database.
    """
    if reuse and database_exists(url):
        call_command("migrate", interactive=False, verbosity=0)
        existing = seeded_users(plan)
        if existing is not None:
            return existing, 0.0
    drop_database(url)
    create_database(url)
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    users = seed(plan)
    with connection.cursor() as cursor:
        # Plans as a database that autovacuum has seen; index-only scans need the visibility map.
        cursor.execute("VACUUM (ANALYZE)")
    return users, time.perf_counter() - started


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def postmaster_pid() -> int:
    """The process id of the PostgreSQL server's postmaster: the parent of this connection's
    backend (the server runs on this machine, at 127.0.0.1)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return parent_pid(cursor.fetchone()[0])
