"""What the logs say: a refused Host header is routine noise."""

import json

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
