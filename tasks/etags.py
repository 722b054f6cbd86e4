"""A task's entity tag, written and read back in one place.

The tag is strong: `"<id>.<version>"`. Every answer that shows a task sends it as `ETag`, and
If-Match and If-None-Match (tasks/preconditions.py) read versions back out of it.
"""

# A version has at most 11 digits: no task is changed 10**11 times, and a longer number in
# a client's tag cannot name any version.
MAX_VERSION_DIGITS = 11


def task_etag(task_id, version: int) -> str:
    """The ETag of this version of the task."""
    return f'"{task_id}.{version}"'


def version_in_etag(tag: str, task_id) -> int | None:
    """The version a strong tag names for this task, or None if it names none of its
    versions (another task's tag, a weak tag, or not one this API gave out)."""
    prefix = f'"{task_id}.'
    if not (tag.startswith(prefix) and tag.endswith('"')):
        return None
    number = tag[len(prefix) : -1]
    if number.isdecimal() and len(number) <= MAX_VERSION_DIGITS:
        return int(number)
    return None
