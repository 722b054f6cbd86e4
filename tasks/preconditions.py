"""Conditional requests on a task: `If-None-Match` for reads, `If-Match` for writes.

A task's ETag is strong (tasks/etags.py). Comparison for If-Match is strong (a weak tag
`W/"..."` never matches); for If-None-Match it is weak, as RFC 9110 says.
"""

import re

from django.utils.http import parse_etags

from tasks.etags import version_in_etag
from tasks.models import Task

# What an If-Match holds (RFC 9110, 8.8.3 and 13.1.1): `*`, or entity tags separated by
# commas, each an optional `W/` and printable ASCII other than `"` in double quotes, with
# optional spaces or tabs around the commas and the value (which servers usually strip, and
# the test client does not). Written so that Python and the OpenAPI document (an ECMA-262
# pattern) read it alike. A value of another form names no version, so the write it guards
# is refused (412), even where Django's lenient parse_etags would find a tag in it.
ENTITY_TAG = '(?:W/)?"[\\u0021\\u0023-\\u007e]*"'
OPTIONAL_WHITESPACE = "[ \\t]*"
IF_MATCH_PATTERN = (
    f"^{OPTIONAL_WHITESPACE}(?:\\*|{ENTITY_TAG}(?:{OPTIONAL_WHITESPACE},{OPTIONAL_WHITESPACE}"
    f"{ENTITY_TAG})*){OPTIONAL_WHITESPACE}$"
)
IF_MATCH_RULE = '`*`, or one or more entity tags separated by commas, such as `"<id>.<version>"`'
WELL_FORMED_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def _tags(request, header: str) -> list[str] | None:
    raw = request.headers.get(header)
    if raw is None:
        return None
    return parse_etags(raw)


def if_match_versions(request, task_id) -> set[int] | None:
    """The versions of this task that `If-Match` names.

    None means no version condition: no header, or `*` (which asks only that the task
    exist). An empty set means no tag can match, so the write must fail: a value that breaks
    IF_MATCH_RULE names no version.
    """
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    if not WELL_FORMED_IF_MATCH.fullmatch(raw):
        return set()
    tags = parse_etags(raw)
    if "*" in tags:
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
