"""OpenAPI description of the task routes: operation ids, parameters, headers, answers."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from taskapi.pagination import PaginationSerializer
from tasks import idempotency, preconditions
from tasks.filters import TagListQuery, TaskListQuery
from tasks.serializers import TagSerializer, TaskSerializer
from tasks.sync import ChangesQuery


# One page object, not a list: without many=False the schema generator would document the
# list action's answer as an array of pages.
@extend_schema_serializer(many=False)
class TaskPageSerializer(serializers.Serializer):
    items = TaskSerializer(many=True)
    pagination = PaginationSerializer()


# Spelled out because drf-spectacular documents every PATCH body as partial, which would
# make `completed` optional here; the route requires it.
COMPLETION_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["completed"],
    "properties": {"completed": {"type": "boolean"}},
}
PATH_PARAMETERS = [
    OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Your id."),
]
TASK_PATH_PARAMETERS = [
    *PATH_PARAMETERS,
    OpenApiParameter("task_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
]
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": preconditions.IF_MATCH_PATTERN},
    OpenApiParameter.HEADER,
    description=f"{preconditions.IF_MATCH_RULE}: the task's ETag as you last read it. The "
    "write happens only if the task has not changed since, or with `*` if it exists (412 "
    "otherwise, and for a value of any other form, which names no version). Without it, the "
    "last writer wins.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you hold: 304 with no body if the task has not changed.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.KEY_MAX_LENGTH,
        "pattern": idempotency.KEY_PATTERN,
    },
    OpenApiParameter.HEADER,
    description=f"{idempotency.KEY_RULE}. A retry with the same key and body within "
    f"{settings.IDEMPOTENCY_KEY_TTL_HOURS} hours returns the first answer (same task) with "
    "`Idempotent-Replayed: true` and creates nothing; the same key with another body is a 422.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description='Strong entity tag of the task: `"<id>.<version>"`.',
)


ChangesPageSerializer = inline_serializer(
    "ChangesPage",
    {
        "tasks": TaskSerializer(many=True, help_text="Created or changed, oldest change first."),
        "deleted": serializers.ListField(
            child=serializers.UUIDField(),
            help_text=(
                "Ids of tasks deleted since the cursor. The later pages of a full sync may "
                "name tasks deleted before it began, which you never received: ignore them."
            ),
        ),
        "next_cursor": serializers.CharField(help_text="Pass as `since` next time."),
        "has_more": serializers.BooleanField(help_text="Call again at once with next_cursor."),
    },
)


task_operations = extend_schema_view(
    list=extend_schema(
        operation_id="tasks_list",
        summary="List your tasks",
        description=(
            "Your tasks, a page at a time. Filter by `status`, `priority`, `tag`, due and "
            "completion dates and `search` text; sort by any of six fields (`priority` by "
            "meaning: `-priority` is high first), ties broken by id so pages never "
            "overlap. `pagination.total` counts every match. To walk deep into a long list, "
            "pass each page's `pagination.next_cursor` as `cursor`: every page then costs "
            "what the first one does."
        ),
        parameters=[*PATH_PARAMETERS, TaskListQuery],
        responses={200: TaskPageSerializer},
    ),
    create=extend_schema(
        operation_id="tasks_create",
        summary="Create a task",
        description=(
            "Creates a task and answers it with its `ETag` and `Location`. Send an "
            "`Idempotency-Key` to make retries safe: a retry gets the first answer again "
            "instead of a second task."
        ),
        parameters=[
            *PATH_PARAMETERS,
            IDEMPOTENCY_KEY,
            ETAG,
            OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201]),
            OpenApiParameter(
                "Idempotent-Replayed",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="`true` when this is the stored answer to an earlier request.",
            ),
        ],
        responses={201: TaskSerializer},
    ),
    retrieve=extend_schema(
        operation_id="tasks_retrieve",
        summary="Get a task",
        description=(
            "One task, with its `ETag`. Send the ETag you hold as `If-None-Match` to get a "
            "304 without a body when the task has not changed."
        ),
        parameters=[*TASK_PATH_PARAMETERS, IF_NONE_MATCH, ETAG],
        responses={
            200: TaskSerializer,
            304: OpenApiResponse(description="Not modified since the ETag you hold."),
        },
    ),
    update=extend_schema(
        operation_id="tasks_replace",
        summary="Replace a task (omitted optional fields are reset)",
        description=(
            "Replaces the task: `description` and `due_date` left out become null, "
            "`completed` left out becomes false, `priority` medium and `tags` empty. Send "
            "the ETag you read as `If-Match` so that the write is refused (412) if someone "
            "changed the task since."
        ),
        parameters=[*TASK_PATH_PARAMETERS, IF_MATCH, ETAG],
        responses={200: TaskSerializer, 412: None},
    ),
    partial_update=extend_schema(
        operation_id="tasks_update",
        summary="Change some fields of a task",
        description=(
            "Changes only the fields you send; a change that sets every field to the value "
            "it has writes nothing and keeps the version. Send the ETag you read as "
            "`If-Match` so that the write is refused (412) if someone changed the task since."
        ),
        parameters=[*TASK_PATH_PARAMETERS, IF_MATCH, ETAG],
        responses={200: TaskSerializer, 412: None},
    ),
    destroy=extend_schema(
        operation_id="tasks_delete",
        summary="Delete a task",
        description=(
            "Deletes the task. Sync clients learn of it from the changes feed. With "
            "`If-Match`, a task changed since you read it is not deleted (412)."
        ),
        parameters=[*TASK_PATH_PARAMETERS, IF_MATCH],
        responses={204: None, 412: None},
    ),
    complete=extend_schema(
        operation_id="tasks_complete",
        summary="Mark a task completed or pending",
        description=(
            "`completed: true` stamps `completed_at` the first time (completing again keeps "
            "the first stamp); `false` clears it."
        ),
        parameters=[*TASK_PATH_PARAMETERS, IF_MATCH, ETAG],
        request={"application/json": COMPLETION_REQUEST_SCHEMA},
        responses={200: TaskSerializer, 412: None},
    ),
    changes=extend_schema(
        operation_id="tasks_changes",
        summary="What changed since your last sync",
        description=(
            "For clients that keep a copy of your tasks. Without `since`: every task, and a "
            "cursor. With `since`: the tasks created or changed after it and the ids of "
            "those deleted, oldest change first. Call again at once while `has_more` is "
            "true; keep the last `next_cursor` for next time. A 410 means the cursor is too "
            "old to be sure nothing was missed: sync again without `since`."
        ),
        parameters=[*PATH_PARAMETERS, ChangesQuery],
        responses={200: ChangesPageSerializer, 410: None},
    ),
)


def task_api_schema(viewset):
    return extend_schema(tags=["tasks"])(task_operations(viewset))


@extend_schema_serializer(many=False)
class TagPageSerializer(serializers.Serializer):
    items = TagSerializer(many=True)
    pagination = PaginationSerializer()


TAG_PATH_PARAMETERS = [
    *PATH_PARAMETERS,
    OpenApiParameter("tag_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
]
tag_operations = extend_schema_view(
    list=extend_schema(
        operation_id="tags_list",
        summary="List your tags",
        description=(
            "Your tags in tag order (alphabetical by the case-folded name, character by "
            "character), a page at a time, each with the number of your tasks carrying it."
        ),
        parameters=[*PATH_PARAMETERS, TagListQuery],
        responses={200: TagPageSerializer},
    ),
    create=extend_schema(
        operation_id="tags_create",
        summary="Create a tag",
        description=(
            "A tag with no tasks yet (a task write that names a new tag creates it too). A "
            "name you already have a tag for, in any case, is a 409."
        ),
        parameters=[
            *PATH_PARAMETERS,
            OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201]),
        ],
        responses={201: TagSerializer, 409: None},
    ),
    retrieve=extend_schema(
        operation_id="tags_retrieve",
        summary="Get a tag",
        parameters=TAG_PATH_PARAMETERS,
        responses={200: TagSerializer},
    ),
    partial_update=extend_schema(
        operation_id="tags_update",
        summary="Rename a tag, or change its color",
        description=(
            "A new name is written into every task carrying the tag, in one transaction: "
            "each task's version and ETag change and the changes feed reports it. A name "
            "another of your tags has, in any case, is a 409: tags are never merged silently."
        ),
        parameters=TAG_PATH_PARAMETERS,
        responses={200: TagSerializer, 409: None},
    ),
    destroy=extend_schema(
        operation_id="tags_delete",
        summary="Delete a tag",
        description=(
            "Deletes the tag and takes it off every task carrying it, in one transaction: "
            "each task's version and ETag change and the changes feed reports it."
        ),
        parameters=TAG_PATH_PARAMETERS,
        responses={204: None},
    ),
)


def tag_api_schema(viewset):
    return extend_schema(tags=["tags"])(tag_operations(viewset))
