"""Request plumbing shared by every route: request ids, access log, trailing slashes and
rate-limit headers."""

import logging
import re
import time
import uuid

from taskapi.logs import request_id_var

access_logger = logging.getLogger("taskapi.access")

# Echo a client's id only when it is short and plain, so it cannot smuggle anything into
# headers or log lines.
WELL_FORMED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIDMiddleware:
    """Gives every request an id, echoed in `X-Request-ID` and carried by its log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client_value = request.headers.get("X-Request-ID", "")
        request_id = (
            client_value if WELL_FORMED_REQUEST_ID.match(client_value) else uuid.uuid4().hex
        )
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log_access(request, response.status_code, time.perf_counter() - started)
        finally:
            request_id_var.reset(token)
        return response


def log_access(request, status_code: int, seconds: float) -> None:
    """One JSON access-log line a request. Never the body, the query string or a header:
    those may carry passwords and tokens."""
    # DRF sets `user` on the Django request once it authenticates; reading the lazy session
    # user the auth middleware leaves otherwise costs no query for a request without a cookie.
    user = getattr(request, "user", None)
    user_id = str(user.pk) if user is not None and user.is_authenticated else None
    access_logger.info(
        "%s %s %s",
        request.method,
        request.path,
        status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": status_code,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": user_id,
        },
    )


class OptionalTrailingSlashMiddleware:
    """Serves `/api/x/` as `/api/x`, without a redirect.

    Routes are declared without a trailing slash; clients written against the earlier service
    send either form, and a redirect would turn their POST into a GET.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if len(path) > 1 and path.endswith("/") and not path.startswith("/admin/"):
            request.path_info = path.rstrip("/") or "/"
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` to responses of
    throttled routes, from the state the most restrictive throttle left on the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["RateLimit-Limit"] = str(state.limit)
            response["RateLimit-Remaining"] = str(state.remaining)
            response["RateLimit-Reset"] = str(state.reset)
        return response


class PrivateCacheControlMiddleware:
    """Marks every API answer `Cache-Control: private, no-cache` unless its view said more.

    API answers carry one user's data, so no shared cache (a proxy, a CDN) may keep them; a
    browser may, but must ask again before reusing one, which costs a 304 where the task
    has an ETag. Answers that carry tokens say `no-store` themselves (accounts/views.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-cache"
        return response
