"""Conditional requests on a task: `If-None-Match` for reads, `If-Match` for writes.

A task's ETag is strong (tasks/etags.py). Comparison for If-Match is strong (a weak tag
`W/"..."` never matches); for If-None-Match it is weak, as RFC 9110 says.
"""

from django.utils.http import parse_etags

from tasks.etags import version_in_etag
from tasks.models import Task


def _tags(request, header: str) -> list[str] | None:
    raw = request.headers.get(header)
    if raw is None:
        return None
    return parse_etags(raw)


def if_match_versions(request, task_id) -> set[int] | None:
    """The versions of this task that `If-Match` names.

    None means no version condition: no header, or `*` (which asks only that the task
    exist). An empty set means no tag can match, so the write must fail.
    """
    tags = _tags(request, "If-Match")
    if tags is None or "*" in tags:
        return None
    versions = {version_in_etag(tag, task_id) for tag in tags}
    versions.discard(None)
    return versions


def is_not_modified(request, task: Task) -> bool:
    """True when `If-None-Match` names the task's current ETag (or is `*`)."""
    tags = _tags(request, "If-None-Match")
    if not tags:
        return False
    return "*" in tags or task.etag in [tag.removeprefix("W/") for tag in tags]
