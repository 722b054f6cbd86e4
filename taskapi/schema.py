"""OpenAPI post-processing: describe the envelope and the error answers every operation can give.

drf-spectacular describes each view's payload; this hook wraps that payload in the success
envelope and adds the error responses that the shared plumbing (parser, authentication,
permissions, exception handler) produces, so a generated client knows every answer it may get.
"""

from collections.abc import Iterable

from django.conf import settings
from drf_spectacular.openapi import AutoSchema

from taskapi.exceptions import ERROR_CODES, UNAUTHORIZED_REASONS, UnauthorizedReason

ERROR_ENVELOPE = "ErrorEnvelope"
UNAUTHORIZED_ENVELOPE = "UnauthorizedEnvelope"

ERROR_DESCRIPTIONS = {
    400: (
        "Malformed JSON, a body that is not a JSON object, a body that cannot be read (a "
        f"malformed chunk), or more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query "
        "parameters."
    ),
    401: "Missing, invalid or expired credentials.",
    403: "The path names another user.",
    404: "No such resource (or it belongs to someone else).",
    409: "Conflicts with existing data.",
    410: "The sync cursor is older than the tombstone retention: resync from scratch.",
    412: "The `If-Match` precondition failed.",
    413: (
        f"Request body over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, whether its length "
        "is declared or it is sent in chunks."
    ),
    415: "Request body is not `application/json`.",
    422: (
        "Validation failed, or the body has a field the operation does not take; `details` "
        "maps each field or parameter to its messages."
    ),
    429: "Too many requests; retry after `Retry-After` seconds.",
    500: "Unexpected server error; `details.request_id` identifies it.",
    503: "A dependency (the database) is unavailable.",
}

# drf-spectacular documents a request body only for POST, PUT and PATCH, in the private
# `_get_request_body`, which returns early for any other method. A view whose DELETE takes a
# body (deleting an account asks for the password) has it documented by asking as for POST;
# where that method is gone, the operation's description still says what to send.
DOCUMENTS_BODIES_OF_OTHER_METHODS = hasattr(AutoSchema, "_get_request_body")


class RequestBodyOnDeleteSchema(AutoSchema):
    """Documents the request body of a DELETE operation, as drf-spectacular does for POST."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE" or not DOCUMENTS_BODIES_OF_OTHER_METHODS:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def error_envelope_component() -> dict:
    return {
        "type": "object",
        "required": ["data", "error"],
        "properties": {
            "data": NULL_ONLY,
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(set(ERROR_CODES.values()))},
                    "message": {"type": "string"},
                    "details": {
                        "type": "object",
                        "nullable": True,
                        "additionalProperties": True,
                        "description": "For VALIDATION_ERROR, `{field: [messages]}`.",
                    },
                },
            },
        },
    }


def unauthorized_envelope_component() -> dict:
    """The error envelope of a 401, whose `details` always carries the reason."""
    component = error_envelope_component()
    error = component["properties"]["error"]["properties"]
    error["code"] = {"type": "string", "enum": [ERROR_CODES[401]]}
    error["details"] = {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {
                "type": "string",
                "enum": [reason.value for reason in UnauthorizedReason],
                "description": "Why the request is not authenticated:\n\n"
                + reason_list(UnauthorizedReason),
            }
        },
    }
    return component


def reason_list(reasons: Iterable[UnauthorizedReason]) -> str:
    return "\n".join(f"- `{reason.value}`: {UNAUTHORIZED_REASONS[reason]}" for reason in reasons)


def success_envelope(payload_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["data", "error"],
        "properties": {"data": payload_schema, "error": NULL_ONLY},
    }


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def throttled_operations(generator) -> set[tuple[str, str]]:
    """(path, method) of every operation whose view counts requests against a rate limit,
    read from the views' own throttle classes, so the document cannot miss one."""
    throttled = set()
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        if getattr(callback.cls, "throttle_classes", None):
            throttled.add((path, method.lower()))
    return throttled


def unauthorized_reasons(generator) -> dict[tuple[str, str], list[UnauthorizedReason]]:
    """The 401 reasons each operation can give, in the order of UnauthorizedReason: those its
    view declares (`unauthorized_reasons`, on a view that checks credentials itself) and those
    of each authentication class it uses, which declare theirs the same way."""
    reasons = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        sources = [callback.cls, *getattr(callback.cls, "authentication_classes", [])]
        declared = {
            reason for source in sources for reason in getattr(source, "unauthorized_reasons", ())
        }
        reasons[(path, method.lower())] = [
            reason for reason in UnauthorizedReason if reason in declared
        ]
    return reasons


def describe_reasons(response: dict, reasons: list[UnauthorizedReason]) -> None:
    """Makes an operation's 401 the UnauthorizedEnvelope and lists the reasons it can give
    (every reason, for an operation that declares none)."""
    response["description"] += "\n\n`details.reason` says why:\n\n" + reason_list(
        reasons or UnauthorizedReason
    )
    response["content"]["application/json"]["schema"] = {
        "$ref": f"#/components/schemas/{UNAUTHORIZED_ENVELOPE}"
    }


def error_codes_for(path: str, operation: dict) -> set[int]:
    """The error statuses the shared plumbing can answer this operation with."""
    # Any request can carry more query parameters than Django parses (400).
    codes = {400, 500, 503}
    if operation.get("requestBody"):
        codes |= {413, 415, 422}
    if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
        codes.add(422)
    if any(requirement for requirement in operation.get("security", [])):
        codes.add(401)
    if "{user_id}" in path:
        codes.add(403)
    if "{" in path:
        codes.add(404)
    return codes


def require_body_with_required_fields(operation: dict, schemas: dict) -> None:
    """Marks the request body required when its schema has required fields.

    drf-spectacular leaves a PATCH body optional, but a body that is absent parses as `{}`,
    which a schema with required fields (`complete`'s `completed`) refuses with 422.
    """
    body = operation.get("requestBody")
    if not body:
        return
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if schema.get("required"):
            body["required"] = True


IGNORED_ON_INPUT = "Read-only: accepted with any value and ignored, as read from a GET."


def component_named(ref_holder: dict, schemas: dict) -> dict:
    """The component a `{"$ref": ...}` schema names, or {} for any other schema."""
    ref = ref_holder.get("$ref", "")
    return schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else {}


def close_to_unknown_fields(body: dict, written: dict) -> None:
    """Says of a request body what RefusesUnknownFields (taskapi/serializers.py) enforces: no
    property beyond those listed, where the read-only properties of the object it writes are
    listed too, with any value, so that a body made from a GET stays valid."""
    body["additionalProperties"] = False
    properties = body.setdefault("properties", {})
    for name, schema in written.get("properties", {}).items():
        if schema.get("readOnly"):
            # Any value: the server ignores these without reading them.
            properties.setdefault(name, {"readOnly": True, "description": IGNORED_ON_INPUT})


def refuse_unknown_body_fields(paths: dict, schemas: dict) -> None:
    """Closes every request body to unknown properties. A serializer's request component
    (`TaskRequest`, `PatchedTaskRequest`) writes the object of its response component (`Task`);
    a body written out in place (complete's) writes what its operation answers."""
    for name, schema in schemas.items():
        if name.endswith("Request") and schema.get("type") == "object":
            written = schemas.get(name.removeprefix("Patched").removesuffix("Request"), {})
            close_to_unknown_fields(schema, written)
    for path_item in paths.values():
        for operation in path_item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = media.get("schema", {})
                if "$ref" in body or body.get("type") != "object":
                    continue
                answers = [
                    content.get("schema", {})
                    for code, response in operation.get("responses", {}).items()
                    if int(code) < 300
                    for content in response.get("content", {}).values()
                ]
                written = next((component_named(a, schemas) for a in answers if a), {})
                close_to_unknown_fields(body, written)


def wrap_responses_in_envelope(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    refuse_unknown_body_fields(result.get("paths", {}), schemas)
    for name, schema in schemas.items():
        # Response components (requests are split off as `...Request`): every serializer
        # field is always present in an answer, optional on input or not.
        if not name.endswith("Request") and "properties" in schema:
            schema["required"] = sorted(schema["properties"])
    schemas[ERROR_ENVELOPE] = error_envelope_component()
    schemas[UNAUTHORIZED_ENVELOPE] = unauthorized_envelope_component()
    error_ref = {"$ref": f"#/components/schemas/{ERROR_ENVELOPE}"}

    throttled = throttled_operations(generator)
    reasons = unauthorized_reasons(generator)
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            require_body_with_required_fields(operation, schemas)
            responses = operation.setdefault("responses", {})
            declared_errors = {int(code) for code in responses if int(code) >= 400}
            if (path, method) in throttled:
                declared_errors.add(429)
            for code, response in responses.items():
                content = response.get("content", {}).get("application/json")
                if int(code) < 400 and content and "schema" in content:
                    content["schema"] = success_envelope(content["schema"])
            for code in sorted(declared_errors | error_codes_for(path, operation)):
                response = {
                    "description": responses.get(str(code), {}).get("description")
                    or ERROR_DESCRIPTIONS.get(code, ERROR_CODES.get(code, "Error")),
                    **({"headers": RETRY_AFTER_HEADER} if code == 429 else {}),
                    "content": {"application/json": {"schema": error_ref}},
                }
                if code == 401:
                    describe_reasons(response, reasons.get((path, method), []))
                responses[str(code)] = response
    return result
