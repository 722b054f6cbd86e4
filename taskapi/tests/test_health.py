"""GET /health: a real database round trip, 503 in the envelope when it fails."""

from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_health_reports_ok_after_querying_the_database(api_client):
    response = api_client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ok", "database": "ok"}, "error": None}


@pytest.mark.django_db
def test_health_answers_503_when_the_database_is_unreachable(api_client):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.cursor",
        side_effect=OperationalError("connection refused"),
    ):
        response = api_client.get("/health")

    assert response.status_code == 503
    assert response.json() == {
        "data": None,
        "error": {
            "code": "SERVICE_UNAVAILABLE",
            "message": "The database is unavailable.",
            "details": {"status": "degraded", "database": "unavailable"},
        },
    }
