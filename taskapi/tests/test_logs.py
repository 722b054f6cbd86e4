"""What the logs say: a refused Host header is routine noise, gunicorn's own lines are named
`gunicorn` whatever their level, and a server whose workers count rate limits alone says so
once."""

import json
import time

import requests

from taskapi.logs import JSONFormatter

REFUSED_HOST = "evil.example.com"


def test_a_host_the_service_does_not_serve_is_answered_400_and_logged_as_a_warning_only(
    api_client, caplog
):
    response = api_client.get("/api/auth/me", HTTP_HOST=REFUSED_HOST)

    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "error": {"code": "BAD_REQUEST", "message": "Bad request.", "details": None},
    }
    refused = [
        json.loads(JSONFormatter().format(record))
        for record in caplog.records
        if record.name == "django.security.DisallowedHost"
    ]
    assert [(line["level"], line["message"], line.get("exception")) for line in refused] == [
        (
            "WARNING",
            f"Invalid HTTP_HOST header: '{REFUSED_HOST}'. "
            f"You may need to add '{REFUSED_HOST}' to ALLOWED_HOSTS.",
            None,
        )
    ]
    assert [record.levelname for record in caplog.records if record.levelno > 30] == []


def test_gunicorn_lines_are_named_gunicorn_and_the_unshared_count_is_told_once(
    gunicorn_server, tmp_path
):
    """Three workers without REDIS_URL: one warning from the master, not one per worker."""
    server = gunicorn_server(
        workers=3, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=""
    )

    refused = requests.get(f"{server.url}/api/auth/me", headers={"Host": REFUSED_HOST}, timeout=10)

    assert refused.status_code == 400
    deadline = time.monotonic() + 10
    while True:
        records = [json.loads(line) for line in server.stdout_path.read_text().splitlines()]
        messages = [record["message"] for record in records]
        booted = [message for message in messages if message.startswith("Booting worker")]
        if len(booted) == 3 and any("Invalid HTTP_HOST" in message for message in messages):
            break
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    by_logger = {(record["logger"], record["level"]) for record in records}
    assert ("gunicorn", "INFO") in by_logger
    assert [record for record in records if record["logger"] == "gunicorn.error"] == []
    assert [record for record in records if record["level"] in ("ERROR", "CRITICAL")] == []
    assert [
        (record["logger"], record["level"], record["message"])
        for record in records
        if "REDIS_URL" in record["message"]
    ] == [
        (
            "taskapi",
            "WARNING",
            "REDIS_URL is not set: each of the 3 worker processes counts rate limits alone, "
            "so a limit lets up to 3 times its count through; set REDIS_URL, or "
            "GUNICORN_WORKERS=1",
        )
    ]
    assert [
        (record["level"], "exception" in record)
        for record in records
        if record["logger"] == "django.security.DisallowedHost"
    ] == [("WARNING", False)]
