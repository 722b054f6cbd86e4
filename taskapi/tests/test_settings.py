"""Settings read from the environment: production refuses to start without its secrets.

Each test starts `manage.py` in a fresh interpreter, because settings are read once, at
import, with only the variables each test names: the test runner's own are dropped, and
python-dotenv never overrides a variable that is present, even empty, so a developer's
`.env` cannot fill in a secret a test leaves out.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "taskapi" / "settings.py").read_text()
SETTINGS_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))


def manage(*args: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # Present but empty (which the settings read as unset), so a developer's `.env` cannot
    # fill them in.
    env.update(dict.fromkeys(SETTINGS_VARIABLES, ""))
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_variables() -> dict[str, str]:
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SECRET": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "api.example.com",
    }


def test_the_secrets_are_among_the_variables_the_tests_blank():
    assert {"SECRET_KEY", "JWT_SECRET", "ALLOWED_HOSTS", "DEBUG"} <= SETTINGS_VARIABLES


@pytest.mark.parametrize("missing", ["SECRET_KEY", "JWT_SECRET", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_required_variable(tmp_path, missing):
    variables = production_variables()
    del variables[missing]

    result = manage("check", tmp_path=tmp_path, **variables)

    assert result.returncode != 0
    assert (
        f"ImproperlyConfigured: {missing} must be set when ENVIRONMENT=production" in result.stderr
    )


def test_staging_refuses_to_start_without_a_secret_key(tmp_path):
    variables = {**production_variables(), "ENVIRONMENT": "staging"}
    del variables["SECRET_KEY"]

    result = manage("check", tmp_path=tmp_path, **variables)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when ENVIRONMENT=staging" in result.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path):
    result = manage("check", tmp_path=tmp_path, **production_variables(), DEBUG="true")

    assert result.returncode != 0
    assert "DEBUG must stay off outside development" in result.stderr


def test_a_complete_production_configuration_passes_the_deploy_checks_cleanly(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **production_variables()
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


def test_the_deploy_checks_fail_a_production_configuration_with_a_weak_secret_key(tmp_path):
    variables = {**production_variables(), "SECRET_KEY": "too-short"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **variables)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_empty_variables_fall_back_to_their_defaults(tmp_path):
    blank = dict.fromkeys(SETTINGS_VARIABLES - {"DATABASE_URL"}, "")

    result = manage("check", tmp_path=tmp_path, **blank)

    assert result.returncode == 0, result.stderr


def test_the_readme_and_env_example_list_exactly_the_variables_settings_and_gunicorn_read():
    gunicorn_source = (Path(settings.BASE_DIR) / "gunicorn.conf.py").read_text()
    in_gunicorn = re.findall(r'env_(?:str|int|bool)\(\s*"([A-Z_]+)"', gunicorn_source)
    read = SETTINGS_VARIABLES | set(in_gunicorn)
    # Read by Django's own `createsuperuser --noinput`, not by the project's code.
    read |= {"DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_NAME", "DJANGO_SUPERUSER_PASSWORD"}
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    in_readme = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", "".join(first_cells)))
    env_example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    in_env_example = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", env_example, re.MULTILINE))

    assert sorted(in_readme ^ read) == []
    assert sorted(in_env_example ^ read) == []


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    """Else an image would serve an empty SQLite file inside its container."""
    result = manage("check", tmp_path=tmp_path, **production_variables(), DATABASE_URL="")

    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DATABASE_URL must be set when ENVIRONMENT=production"
        in result.stderr
    )


def test_development_still_defaults_to_the_sqlite_file(tmp_path):
    show = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"

    result = manage("shell", "--no-imports", "-c", show, tmp_path=tmp_path, DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{Path(settings.BASE_DIR) / 'db.sqlite3'}\n"


SHOW_POOLER_SETTINGS = (
    "from django.conf import settings; db = settings.DATABASES['default']; "
    "print(db.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "db['OPTIONS'].get('prepare_threshold', 'default'))"
)


@pytest.mark.parametrize(
    ("variables", "shown"),
    [
        ({}, "False default"),
        ({"DATABASE_POOLER": "pgbouncer"}, "True None"),
        (
            {"DATABASE_POOLER": "pgbouncer", "DATABASE_POOLER_PREPARED_STATEMENTS": "true"},
            "True default",
        ),
    ],
)
def test_behind_pgbouncer_no_server_side_cursors_and_no_prepared_statements_unless_tracked(
    tmp_path, variables, shown
):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW_POOLER_SETTINGS,
        tmp_path=tmp_path,
        DATABASE_URL="postgres://app@127.0.0.1:6432/taskapi",
        **variables,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{shown}\n"


def test_pgbouncer_needs_a_postgresql_database_url(tmp_path):
    result = manage("check", tmp_path=tmp_path, DATABASE_POOLER="pgbouncer")

    assert result.returncode != 0
    assert "DATABASE_POOLER=pgbouncer needs a postgres:// DATABASE_URL" in result.stderr
