"""Errors of the API contract and the handler that turns every exception into the envelope.

Every failure leaves as `{"data": null, "error": {"code", "message", "details"}}`; the
renderer adds the outer envelope, this module decides status, code, message and details.
"""

import logging
import math
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response

from taskapi.logs import request_id_var

logger = logging.getLogger(__name__)

BEARER_CHALLENGE = 'Bearer realm="api"'


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."


class UnauthorizedReason(StrEnum):
    """Why a request is not authenticated, in `error.details.reason` of every 401: the code
    stays UNAUTHORIZED (the contract), and the reason tells a client whether to refresh its
    access token, sign in again, or give up on the account."""

    TOKEN_MISSING = "token_missing"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    TOKEN_BLACKLISTED = "token_blacklisted"
    USER_INACTIVE = "user_inactive"
    USER_NOT_FOUND = "user_not_found"
    CREDENTIALS_INVALID = "credentials_invalid"


# What each reason means to a client, for the API's documentation (taskapi/schema.py).
UNAUTHORIZED_REASONS = {
    UnauthorizedReason.TOKEN_MISSING: "No `Authorization: Bearer <access token>` header: sign in.",
    UnauthorizedReason.TOKEN_EXPIRED: (
        "The token has expired: get a new access token with the refresh token; once the "
        "refresh token has expired too, sign in."
    ),
    UnauthorizedReason.TOKEN_INVALID: (
        "The token is malformed, not signed by this service, of the wrong type (a refresh "
        "token as the bearer, an access token to refresh), or names no user: sign in."
    ),
    UnauthorizedReason.TOKEN_BLACKLISTED: (
        "The refresh token was revoked: used once already, signed out, or issued before a "
        "password change: sign in."
    ),
    UnauthorizedReason.USER_INACTIVE: "The account has been deactivated.",
    UnauthorizedReason.USER_NOT_FOUND: "The account no longer exists.",
    UnauthorizedReason.CREDENTIALS_INVALID: (
        "The email and password match no active account; which of them is wrong is not told."
    ),
}


class Unauthorized(exceptions.AuthenticationFailed):
    """A credential failure (401) that says why."""

    def __init__(self, reason: UnauthorizedReason, message: str):
        super().__init__(message)
        self.reason = reason


def unauthorized_reason(exc: exceptions.APIException) -> UnauthorizedReason:
    """The reason of a credential failure: the one it carries (Unauthorized), else what DRF's
    and SimpleJWT's own exceptions mean. NotAuthenticated is DRF's answer to a request that
    brought no credentials it recognises; the only other one that reaches here is SimpleJWT's
    refusal of an `Authorization: Bearer` header that is not one token."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, UnauthorizedReason):
        return reason
    if isinstance(exc, exceptions.NotAuthenticated):
        return UnauthorizedReason.TOKEN_MISSING
    return UnauthorizedReason.TOKEN_INVALID


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."


def payload_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it (If-Match did not match)."


class CursorExpired(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This sync cursor is too old; start a full resync without `since`."


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."


# The contract's error code is a function of the status alone, so the exceptions above carry
# no `default_code`: DRF's own codes (`not_authenticated`, `throttled`, ...) never reach a
# client either.
ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    410: "CURSOR_EXPIRED",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(status_code: int, message: str, details=None) -> dict:
    """The `error` member of the envelope for a status code."""
    return {
        "code": ERROR_CODES.get(
            status_code, "BAD_REQUEST" if status_code < 500 else "INTERNAL_ERROR"
        ),
        "message": message,
        "details": details,
    }


def first_message(detail) -> str:
    """A one-line summary of a DRF error detail, however deeply it is nested."""
    if isinstance(detail, dict):
        for value in detail.values():
            return first_message(value)
        return ""
    if isinstance(detail, list):
        return first_message(detail[0]) if detail else ""
    return str(detail)


def validation_details(detail) -> dict:
    """`{field: [messages]}` from a ValidationError's detail (lists and strings as well)."""
    if isinstance(detail, dict):
        return {str(field): list(flat_messages(messages)) for field, messages in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(message) for message in detail]}
    return {"non_field_errors": [str(detail)]}


def flat_messages(messages, where: str = ""):
    """A field's messages as strings. Those about a list's items (a dict by index, from a
    ListField) or a nested object's fields say which: `Item 2: Must be a JSON string.`."""
    if isinstance(messages, dict):
        for key, inner in messages.items():
            label = f"Item {key}" if isinstance(key, int) else str(key)
            yield from flat_messages(inner, f"{where}{label}: ")
    elif isinstance(messages, list):
        for message in messages:
            yield from flat_messages(message, where)
    else:
        yield f"{where}{messages}"


def envelope_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes an error envelope."""
    # Imported here: rest_framework.views loads the parser and renderer settings, and the
    # parser imports this module.
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads `request.body` before the parser runs, and Django refuses an oversized
        # declared Content-Length right there.
        exc = payload_too_large()
    elif isinstance(exc, TooManyFieldsSent):
        # Raised when a view first reads a query string of more than
        # DATA_UPLOAD_MAX_NUMBER_FIELDS parameters; outside DRF Django answers 400 too.
        exc = exceptions.ParseError(
            f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters."
        )
    elif isinstance(exc, UnreadablePostError):
        # The client went away in the middle of its body, or sent a malformed chunk
        # (taskapi/terminated_input.py): nothing the server did wrong.
        logger.warning("request body could not be read: %s", exc)
        exc = exceptions.ParseError("The request body could not be read.")
    elif isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
        exc = exceptions.ParseError("Malformed request.")
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        exc = ServiceUnavailable()

    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        details = validation_details(exc.detail)
        body = error_body(422, "Invalid input: " + first_message(exc.detail), details)
        return Response(body, status=422)

    if isinstance(exc, exceptions.APIException):
        headers, details = {}, None
        status_code = exc.status_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # DRF turns these into 403 on views without an authenticator (login, refresh);
            # the contract says 401 for every credential failure.
            status_code = status.HTTP_401_UNAUTHORIZED
            headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or BEARER_CHALLENGE
            details = {"reason": unauthorized_reason(exc).value}
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(math.ceil(exc.wait))
        body = error_body(status_code, first_message(exc.detail), details)
        return Response(body, status=status_code, headers=headers)

    if isinstance(exc, DatabaseError):
        logger.exception("database error")
    else:
        logger.exception("unhandled exception")
    return server_error_response()


def server_error_response() -> Response:
    body = error_body(
        500,
        "The server failed to handle this request; quote the request id when reporting it.",
        {"request_id": request_id_var.get()},
    )
    return Response(body, status=500)
