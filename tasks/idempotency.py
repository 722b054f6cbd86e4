"""Idempotent creates: a retried POST with the same `Idempotency-Key` gets the first answer.

The claim on a key is a unique insert in the same transaction as the task it creates, so of
two concurrent requests with one key the second waits on the first's insert, then finds its
stored answer and replays it: one task, whichever worker each request reached.
"""

import hashlib
import re
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response

from taskapi.renderers import dumps
from tasks.etags import task_etag
from tasks.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
# 1 to 255 printable ASCII characters, written so that Python and the OpenAPI document
# (an ECMA-262 pattern) read it alike.
KEY_PATTERN = f"^[\\u0020-\\u007e]{{1,{KEY_MAX_LENGTH}}}$"
KEY_RULE = f"1 to {KEY_MAX_LENGTH} printable ASCII characters"
WELL_FORMED_KEY = re.compile(KEY_PATTERN)


def idempotency_key(request) -> str | None:
    """The request's key, None without one; 422 for a key that breaks KEY_RULE."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not WELL_FORMED_KEY.fullmatch(key):
        raise serializers.ValidationError({HEADER: [f"Must be {KEY_RULE}."]})
    return key


def fingerprint(data) -> str:
    """SHA-256 of the request body, independent of key order and spacing."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def replay(record: IdempotentRequest) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    body = orjson.loads(record.response_body)
    if isinstance(body, dict) and "id" in body and "version" in body:
        headers["ETag"] = task_etag(body["id"], body["version"])
    return Response(body, status=record.status_code, headers=headers)


def create_once(request, user_id, key: str, create) -> Response:
    """Runs `create()` (which returns the 201 Response) once per user and key.

    A retry with the same body replays the stored answer with `Idempotent-Replayed: true`;
    the same key with another body is a 422. A key older than IDEMPOTENCY_KEY_TTL_HOURS is
    forgotten and the request runs afresh.
    """
    body_fingerprint = fingerprint(request.data)
    expired_before = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    with transaction.atomic():
        IdempotentRequest.objects.owned_by(user_id).filter(
            key=key, created_at__lt=expired_before
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    user_id=user_id,
                    key=key,
                    fingerprint=body_fingerprint,
                    status_code=0,
                    response_body="",
                )
        except IntegrityError:
            record = IdempotentRequest.objects.owned_by(user_id).get(key=key)
            if record.fingerprint != body_fingerprint:
                raise serializers.ValidationError(
                    {HEADER: ["This key was already used with a different request body."]}
                ) from None
            return replay(record)
        response = create()
        # Stored as the renderer writes it (ISO datetimes with microseconds, UTC as Z), so
        # a replay, rendered again from it, is byte for byte the first answer. Written
        # through owned_by, so the UPDATE names its owner like every other statement here.
        IdempotentRequest.objects.owned_by(user_id).filter(pk=record.pk).update(
            status_code=response.status_code,
            response_body=dumps(response.data).decode(),
            location=response.headers.get("Location", ""),
        )
    return response
