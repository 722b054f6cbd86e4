"""The floor: the least Django can do to answer the task list, retrieve, title-change and
create requests.

The benchmark compares every product scenario with these views. They answer the same paths
(under `/floor/`) with the same JSON (`{"data": {"items": [...], "pagination": {...}},
"error": null}`, the serializer's fields, ISO 8601 datetimes) from the same rows — the
product's own `Task.objects.live()` for the path's user, read with `.values()` — and skip
everything a framework adds on top: DRF's request and response machinery, serializers, the
user lookup behind authentication and the rate-limit counter. The JWT's signature and expiry
are still checked, with PyJWT, so no request is answered for free. Django's middleware runs
for both, as they share one settings module.

Only `limit` and `offset` are read from the query string; the list is in the product's
default order (newest first, ties by id), and `next_cursor` is the product's own cursor for
the next page. The total is always a COUNT(*), the original design's SQL: a product that
found a cheaper way to its total can beat the floor.

The write floor (PATCH of a title) checks the title as the product does (a string, not blank
once trimmed, at most 255 characters) and runs the product's own write statement: one
UPDATE ... RETURNING of the live task, with the next version, through the product's
`update_returning`. It skips the If-Match and differs-from-stored conditions. Held against
it, a product write shows what DRF and the write path's rules cost; held against the read
floor (issue 5's goal), it also carries the database's price of a durable write.

The create floor (POST of a task) checks the body as loosely as the write floor (a title as
above, an optional string description within its length, an optional ISO 8601 due date with
an offset) and sends the product's own INSERT: the statement `Model.save()` sends, the same
columns and RETURNING clause, which fires the same ledger triggers, through the manager's
`_insert`, the one call `save()` ends in. It skips `save()`'s signals and field preparation,
DRF's serializer and the Location header. Held against it (issue 16), a product create shows
what our stack costs on top of the same durable INSERT.
"""

import uuid
from datetime import datetime

import jwt
import orjson
from django.conf import settings
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from taskapi.renderers import envelope_response
from taskapi.views import json_error
from tasks.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task
from tasks.pagination import TaskCursor
from tasks.serializers import TASK_COLUMNS

FIELDS = TASK_COLUMNS
DEFAULT_SORT = "-created_at"
ORDER = ("-created_at", "-id")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


def token_user_id(request: HttpRequest) -> str | None:
    """The `user_id` claim of a valid, unexpired access token in the Authorization header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        return None
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[settings.JWT_ALGORITHM],
            options={"require": ["exp"]},
        )
    except jwt.InvalidTokenError:
        return None
    if claims.get("token_type") != "access":
        return None
    return claims.get("user_id")


def owned_tasks(request: HttpRequest, user_id: str) -> QuerySet | HttpResponse:
    """The path user's live tasks when the token is valid and names that user, else the
    error response."""
    claimed = token_user_id(request)
    if claimed is None:
        return json_error(401, "Authentication credentials were not provided or are invalid.")
    if user_id.lower() != claimed:
        return json_error(403, "The user id in the path is not yours.")
    return Task.objects.live().filter(user_id=uuid.UUID(claimed))


def query_int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int | None:
    """An integer query parameter within [low, high], or None when it is not one."""
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        return None
    return value if low <= value <= high else None


def envelope(data: dict) -> HttpResponse:
    # The product's own envelope and JSON writer, without DRF around them.
    return envelope_response(200, data)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def floor_task_list(request: HttpRequest, user_id: str) -> HttpResponse:
    tasks = owned_tasks(request, user_id)
    if isinstance(tasks, HttpResponse):
        return tasks
    if request.method == "POST":
        return floor_task_create(request, uuid.UUID(user_id))
    limit = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 0, MAX_OFFSET)
    if limit is None or offset is None:
        return json_error(422, "limit and offset must be integers in range.")
    total = tasks.count()
    items = []
    if offset < total:
        items = list(tasks.order_by(*ORDER).values(*FIELDS)[offset : offset + limit])
    has_more = offset + len(items) < total
    pagination = {
        "limit": limit,
        "offset": offset,
        "total": total,
        "has_more": has_more,
        "next_cursor": TaskCursor.after(DEFAULT_SORT, items[-1]) if has_more else None,
    }
    return envelope({"items": items, "pagination": pagination})


@csrf_exempt
@require_http_methods(["GET", "PATCH"])
def floor_task_detail(request: HttpRequest, user_id: str, task_id: uuid.UUID) -> HttpResponse:
    tasks = owned_tasks(request, user_id)
    if isinstance(tasks, HttpResponse):
        return tasks
    tasks = tasks.filter(id=task_id)
    if request.method == "PATCH":
        return floor_title_change(request, tasks)
    task = tasks.values(*FIELDS).first()
    if task is None:
        return json_error(404, "Task not found.")
    return envelope(task)


def floor_title_change(request: HttpRequest, tasks: QuerySet) -> HttpResponse:
    try:
        title = orjson.loads(request.body)["title"].strip()
    except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
        return json_error(422, "Send a JSON object with a string title.")
    if not 0 < len(title) <= TITLE_MAX_LENGTH:
        return json_error(422, f"A title is 1 to {TITLE_MAX_LENGTH} characters.")
    written = tasks.update_returning(
        {"title": title, "updated_at": timezone.now(), "version": F("version") + 1},
        deferred={"change_seq"},
    )
    if not written:
        return json_error(404, "Task not found.")
    return envelope({field: getattr(written[0], field) for field in FIELDS})


def floor_task_create(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    try:
        body = orjson.loads(request.body)
        title = body["title"].strip()
        description = body.get("description")
        due_date = body.get("due_date")
        due_date = None if due_date is None else datetime.fromisoformat(due_date)
    except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError, ValueError):
        return json_error(422, "Send a JSON object with a string title and ISO 8601 due_date.")
    if not 0 < len(title) <= TITLE_MAX_LENGTH:
        return json_error(422, f"A title is 1 to {TITLE_MAX_LENGTH} characters.")
    if description is not None and not (
        isinstance(description, str) and len(description) <= DESCRIPTION_MAX_LENGTH
    ):
        return json_error(422, f"A description is at most {DESCRIPTION_MAX_LENGTH} characters.")
    if due_date is not None and due_date.tzinfo is None:
        return json_error(422, "A due_date carries its offset.")
    task = Task(user_id=user_id, title=title, description=description, due_date=due_date)
    # What `save()` does before its INSERT for this model: `auto_now` stamps updated_at.
    task.updated_at = task.created_at
    meta = Task._meta
    returning = meta.db_returning_fields
    returned = Task._base_manager._insert(
        [task],
        fields=[field for field in meta.local_concrete_fields if not field.generated],
        returning_fields=returning,
    )
    if returned:
        for value, field in zip(returned[0], returning, strict=True):
            setattr(task, field.attname, value)
    return envelope_response(201, {field: getattr(task, field) for field in FIELDS})
