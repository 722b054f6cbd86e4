"""Project-level views: health, and the JSON answers for paths no route matches."""

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from taskapi.exceptions import error_body, server_error_response
from taskapi.renderers import envelope_response


class HealthView(APIView):
    """Liveness and readiness in one: 200 only when the database answers a real query."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        operation_id="health",
        tags=["service status"],
        summary="Is the service up?",
        description="200 when the service and its database answer; 503 otherwise. For load "
        "balancers, container health checks and monitors; needs no token.",
        auth=[],
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(choices=["ok", "degraded"]),
                    "database": serializers.ChoiceField(choices=["ok", "unavailable"]),
                },
            ),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            body = error_body(503, "The database is unavailable.")
            body["details"] = {"status": "degraded", "database": "unavailable"}
            return Response(body, status=503)
        return Response({"status": "ok", "database": "ok"})


def json_error(status_code: int, message: str) -> HttpResponse:
    return envelope_response(status_code, error_body(status_code, message))


@csrf_exempt
def not_found(request, exception=None):
    """handler404, and the catch-all under /api/ (Django's debug 404 page skips handler404).

    CSRF-exempt: as a plain Django view the catch-all would otherwise answer a POST to an
    unknown API path with the CSRF failure page instead of this 404.
    """
    return json_error(404, "No route matches this path.")


def server_error(request):
    """handler500 for errors outside DRF views (DRF views answer through the exception handler)."""
    return envelope_response(500, server_error_response().data)


def bad_request(request, exception=None):
    """handler400: a disallowed Host header or a malformed request outside DRF."""
    return json_error(400, "Bad request.")


def permission_denied(request, exception=None):
    return json_error(403, "You do not have permission to perform this action.")
