"""GET /api/{user_id}/tasks: pagination, filters and a stable sort (search: test_task_search.py).

Every filter and sort is checked by walking all pages with a small limit: the pages put
together must be exactly the expected order, with no task twice and none missing. Ties (same
created_at, same due date, same title) are broken by id, so the order is total.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tasks.models import Task
from tasks.ordering import SORT_CHOICES, title_sort_key
from tasks.tests.factories import TaskFactory, task_json

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def list_url(user) -> str:
    return f"/api/{user.id}/tasks"


def validation_error(details: dict) -> dict:
    first = next(iter(details.values()))[0]
    return {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": f"Invalid input: {first}",
            "details": details,
        },
    }


class AnyCursor:
    """Equal to any cursor string: its content is opaque to clients."""

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and len(other) > 0

    def __repr__(self) -> str:
        return "<any cursor>"


def next_cursor(has_more: bool):
    return AnyCursor() if has_more else None


def pagination(*, limit: int, offset: int | None, total: int, has_more: bool) -> dict:
    return {
        "limit": limit,
        "offset": offset,
        "total": total,
        "has_more": has_more,
        "next_cursor": next_cursor(has_more),
    }


def page(items: list[Task], *, limit: int, offset: int, total: int, has_more: bool) -> dict:
    return {
        "data": {
            "items": [task_json(task) for task in items],
            "pagination": pagination(limit=limit, offset=offset, total=total, has_more=has_more),
        },
        "error": None,
    }


def expected_order(tasks, sort: str = "-created_at") -> list[Task]:
    """The contract's order: by the field, then by id in the same direction, and tasks
    without a value for the field last whichever the direction."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    present = [task for task in tasks if getattr(task, field) is not None]
    missing = [task for task in tasks if getattr(task, field) is None]
    key = title_sort_key if field == "title" else (lambda value: value)
    present.sort(key=lambda task: (key(getattr(task, field)), task.id), reverse=descending)
    missing.sort(key=lambda task: task.id, reverse=descending)
    return present + missing


def walk_pages(client, user, params: dict, limit: int) -> list[str]:
    """Every page in turn, by offset and again by cursor; checks each page's pagination,
    that both walks agree, and returns the ids in order."""
    ids: list[str] = []
    offset = 0
    while True:
        response = client.get(list_url(user), {**params, "limit": limit, "offset": offset})
        assert response.status_code == 200, response.json()
        body = response.json()["data"]
        ids += [item["id"] for item in body["items"]]
        total = body["pagination"]["total"]
        has_more = offset + len(body["items"]) < total
        assert body["pagination"] == pagination(
            limit=limit, offset=offset, total=total, has_more=has_more
        )
        assert len(body["items"]) == min(limit, max(total - offset, 0))
        if not has_more:
            break
        offset += limit
    assert walk_by_cursor(client, user, params, limit) == ids
    return ids


def walk_by_cursor(client, user, params: dict, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(list_url(user), query)
        assert response.status_code == 200, response.json()
        body = response.json()["data"]
        ids += [item["id"] for item in body["items"]]
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            return ids


def ids_of(tasks) -> list[str]:
    return [str(task.id) for task in tasks]


# --- The page -------------------------------------------------------------------------------


def test_listing_without_tasks_answers_an_empty_page(auth_client, user):
    response = auth_client.get(list_url(user))

    assert response.status_code == 200
    assert response.json() == page([], limit=10, offset=0, total=0, has_more=False)


def test_listing_answers_the_newest_tasks_first_ten_at_a_time(auth_client, user):
    tasks = [TaskFactory(user=user, created_at=T0 + timedelta(minutes=i)) for i in range(12)]

    response = auth_client.get(list_url(user))

    assert response.status_code == 200
    assert response.json() == page(tasks[::-1][:10], limit=10, offset=0, total=12, has_more=True)


def test_the_last_page_has_the_remaining_tasks_and_no_more(auth_client, user):
    tasks = [TaskFactory(user=user, created_at=T0 + timedelta(minutes=i)) for i in range(12)]

    response = auth_client.get(list_url(user), {"offset": 10})

    assert response.json() == page(tasks[::-1][10:], limit=10, offset=10, total=12, has_more=False)


def test_a_page_ending_exactly_at_the_last_task_has_no_more(auth_client, user):
    TaskFactory.create_batch(6, user=user)

    response = auth_client.get(list_url(user), {"limit": 3, "offset": 3})

    assert response.json()["data"]["pagination"] == pagination(
        limit=3, offset=3, total=6, has_more=False
    )
    assert len(response.json()["data"]["items"]) == 3


@pytest.mark.parametrize("offset", [3, 4, 1_000_000])
def test_an_offset_past_the_end_answers_an_empty_page_not_an_error(auth_client, user, offset):
    TaskFactory.create_batch(3, user=user)

    response = auth_client.get(list_url(user), {"offset": offset})

    assert response.status_code == 200
    assert response.json() == page([], limit=10, offset=offset, total=3, has_more=False)


@pytest.mark.parametrize("limit", [1, 100])
def test_the_limit_may_be_anything_from_1_to_100(auth_client, user, limit):
    TaskFactory.create_batch(101, user=user, created_at=T0)

    response = auth_client.get(list_url(user), {"limit": limit})

    assert response.status_code == 200
    assert len(response.json()["data"]["items"]) == limit
    assert response.json()["data"]["pagination"] == pagination(
        limit=limit, offset=0, total=101, has_more=True
    )


def test_unknown_query_parameters_are_ignored(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.get(list_url(user), {"page": "2", "per_page": "bogus"})

    assert response.status_code == 200
    assert response.json() == page([task], limit=10, offset=0, total=1, has_more=False)


# --- Bad parameters -------------------------------------------------------------------------


DATE_BOUND_MESSAGE = "Must be an ISO 8601 date (2026-01-31) or datetime (2026-01-31T17:00:00Z)."
# Only where a space stands where an offset's '+' would: the '+' was not encoded.
PLUS_AS_SPACE_MESSAGE = (
    "Must be an ISO 8601 date (2026-01-31) or datetime (2026-01-31T17:00:00Z); "
    "encode '+' in an offset as %2B."
)


@pytest.mark.parametrize("name", ["status", "sort", "search"])
def test_an_empty_status_sort_or_search_is_the_same_as_leaving_it_out(auth_client, user, name):
    """What a cleared search box or an unselected drop-down sends."""
    TaskFactory.create_batch(2, user=user)

    response = auth_client.get(f"{list_url(user)}?{name}=")

    assert response.status_code == 200
    assert response.json() == auth_client.get(list_url(user)).json()


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ("limit=0", {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ("limit=101", {"limit": ["Ensure this value is less than or equal to 100."]}),
        ("limit=-1", {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ("limit=abc", {"limit": ["A valid integer is required."]}),
        ("limit=1.5", {"limit": ["A valid integer is required."]}),
        ("limit=", {"limit": ["A valid integer is required."]}),
        ("offset=-1", {"offset": ["Ensure this value is greater than or equal to 0."]}),
        ("offset=abc", {"offset": ["A valid integer is required."]}),
        ("offset=1000001", {"offset": ["Ensure this value is less than or equal to 1000000."]}),
        (
            f"offset={10**30}",
            {"offset": ["Ensure this value is less than or equal to 1000000."]},
        ),
        ("status=bogus", {"status": ['"bogus" is not a valid choice.']}),
        ("status=Completed", {"status": ['"Completed" is not a valid choice.']}),
        ("sort=bogus", {"sort": ['"bogus" is not a valid choice.']}),
        ("sort=id", {"sort": ['"id" is not a valid choice.']}),
        ("sort=--title", {"sort": ['"--title" is not a valid choice.']}),
        ("sort=description", {"sort": ['"description" is not a valid choice.']}),
        ("due_before=notadate", {"due_before": [DATE_BOUND_MESSAGE]}),
        ("due_after=2026-02-30", {"due_after": [DATE_BOUND_MESSAGE]}),
        ("completed_before=yesterday", {"completed_before": [DATE_BOUND_MESSAGE]}),
        ("completed_after=31/01/2026", {"completed_after": [DATE_BOUND_MESSAGE]}),
        # Instants that cannot be moved to UTC.
        ("due_before=0001-01-01T00:00:00%2B01:00", {"due_before": [DATE_BOUND_MESSAGE]}),
        ("due_after=9999-12-31T23:59:59-01:00", {"due_after": [DATE_BOUND_MESSAGE]}),
        # An unencoded '+' arrives as a space.
        ("due_before=2026-01-31T17:00:00+02:00", {"due_before": [PLUS_AS_SPACE_MESSAGE]}),
        ("due_after=2026-01-31T17:00+0200", {"due_after": [PLUS_AS_SPACE_MESSAGE]}),
        ("due_after=2026-01-31T17:00:00.5+02", {"due_after": [PLUS_AS_SPACE_MESSAGE]}),
        ("due_before=2026-13-01 17:00", {"due_before": [DATE_BOUND_MESSAGE]}),
        ("search=" + "s" * 256, {"search": ["Ensure this field has no more than 255 characters."]}),
        ("limit=1&limit=2", {"limit": ["Give this parameter at most once."]}),
        ("status=all&status=all", {"status": ["Give this parameter at most once."]}),
        ("search=a&search=b", {"search": ["Give this parameter at most once."]}),
        (
            "due_after=2026-01-01&due_after=2026-01-02",
            {"due_after": ["Give this parameter at most once."]},
        ),
    ],
)
def test_a_bad_query_parameter_is_a_422_naming_it(auth_client, user, query, details):
    TaskFactory(user=user)

    response = auth_client.get(f"{list_url(user)}?{query}")

    assert response.status_code == 422
    assert response.json() == validation_error(details)


def test_every_bad_query_parameter_is_named_at_once(auth_client, user):
    response = auth_client.get(
        f"{list_url(user)}?limit=0&offset=-1&status=bogus&sort=bogus&due_before=x&sort=title"
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "limit": ["Ensure this value is greater than or equal to 1."],
        "offset": ["Ensure this value is greater than or equal to 0."],
        "status": ['"bogus" is not a valid choice.'],
        "sort": ["Give this parameter at most once."],
        "due_before": [DATE_BOUND_MESSAGE],
    }


# --- Status ---------------------------------------------------------------------------------


@pytest.fixture
def mixed(user) -> list[Task]:
    """Eight tasks, half completed, all created at the same moment (ties broken by id)."""
    return [TaskFactory(user=user, created_at=T0, completed=i % 2 == 0) for i in range(8)]


@pytest.mark.parametrize(
    ("status", "wanted"),
    [
        ("all", lambda task: True),
        ("pending", lambda task: not task.completed),
        ("completed", lambda task: task.completed),
    ],
)
def test_status_filters_pending_or_completed_tasks_across_pages(
    auth_client, user, mixed, status, wanted
):
    expected = expected_order([task for task in mixed if wanted(task)])

    assert walk_pages(auth_client, user, {"status": status}, limit=3) == ids_of(expected)


def test_status_defaults_to_all(auth_client, user, mixed):
    assert walk_pages(auth_client, user, {}, limit=3) == ids_of(expected_order(mixed))


# --- Due date bounds ------------------------------------------------------------------------


@pytest.fixture
def due(user) -> dict[str, Task]:
    """Tasks due around January 31st 2026 (several at the same instant), and two with no
    due date; all created at the same moment."""
    moments = {
        "jan30-end": datetime(2026, 1, 30, 23, 59, 59, 999999, tzinfo=UTC),
        "jan31-start-a": datetime(2026, 1, 31, 0, 0, tzinfo=UTC),
        "jan31-start-b": datetime(2026, 1, 31, 0, 0, tzinfo=UTC),
        "jan31-noon-a": datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        "jan31-noon-b": datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        "jan31-noon-c": datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        "jan31-end": datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "feb01-start": datetime(2026, 2, 1, 0, 0, tzinfo=UTC),
        "feb10": datetime(2026, 2, 10, 8, 30, tzinfo=UTC),
        "none-a": None,
        "none-b": None,
    }
    return {
        name: TaskFactory(user=user, title=name, due_date=moment, created_at=T0)
        for name, moment in moments.items()
    }


@pytest.mark.parametrize(
    ("params", "names"),
    [
        (
            {"due_before": "2026-01-31"},
            [
                "jan30-end",
                "jan31-start-a",
                "jan31-start-b",
                "jan31-noon-a",
                "jan31-noon-b",
                "jan31-noon-c",
                "jan31-end",
            ],
        ),
        (
            {"due_after": "2026-01-31"},
            [
                "jan31-start-a",
                "jan31-start-b",
                "jan31-noon-a",
                "jan31-noon-b",
                "jan31-noon-c",
                "jan31-end",
                "feb01-start",
                "feb10",
            ],
        ),
        (
            {"due_after": "2026-01-31", "due_before": "2026-01-31"},
            [
                "jan31-start-a",
                "jan31-start-b",
                "jan31-noon-a",
                "jan31-noon-b",
                "jan31-noon-c",
                "jan31-end",
            ],
        ),
        (
            {"due_before": "2026-01-31T12:00:00Z"},
            [
                "jan30-end",
                "jan31-start-a",
                "jan31-start-b",
                "jan31-noon-a",
                "jan31-noon-b",
                "jan31-noon-c",
            ],
        ),
        (
            {"due_after": "2026-01-31T12:00:00Z"},
            ["jan31-noon-a", "jan31-noon-b", "jan31-noon-c", "jan31-end", "feb01-start", "feb10"],
        ),
        (
            {"due_after": "2026-01-31T12:00:00", "due_before": "2026-01-31T12:00:00"},
            ["jan31-noon-a", "jan31-noon-b", "jan31-noon-c"],
        ),
        (
            {"due_after": "2026-01-31T14:00:00+02:00", "due_before": "2026-01-31T07:00:00-05:00"},
            ["jan31-noon-a", "jan31-noon-b", "jan31-noon-c"],
        ),
        (
            {"due_after": "2026-01-31T00:00:00.000001Z", "due_before": "2026-01-31T23:59:59Z"},
            ["jan31-noon-a", "jan31-noon-b", "jan31-noon-c"],
        ),
        ({"due_after": "2026-02-01", "due_before": "2026-01-31"}, []),
        ({"due_after": "2027-01-01"}, []),
        ({"due_before": "2000-01-01"}, []),
    ],
    ids=[
        "bare-date-upper-bound-includes-the-whole-day",
        "bare-date-lower-bound-starts-at-midnight",
        "one-whole-day",
        "datetime-upper-bound-is-inclusive",
        "datetime-lower-bound-is-inclusive",
        "naive-datetimes-are-utc",
        "offsets-are-honoured",
        "microseconds-count",
        "empty-range",
        "after-everything",
        "before-everything",
    ],
)
def test_due_bounds_are_inclusive_and_leave_out_tasks_without_a_due_date(
    auth_client, user, due, params, names
):
    expected = expected_order([due[name] for name in names])

    assert walk_pages(auth_client, user, params, limit=2) == ids_of(expected)


@pytest.mark.parametrize(
    "params",
    [{"due_after": "0001-01-01"}, {"due_before": "9999-12-31"}, {"due_before": "99991231"}],
)
def test_due_bounds_at_the_edges_of_the_calendar_are_accepted(auth_client, user, due, params):
    dated = [task for task in due.values() if task.due_date is not None]

    assert walk_pages(auth_client, user, params, limit=5) == ids_of(expected_order(dated))


def test_without_due_bounds_tasks_without_a_due_date_are_listed(auth_client, user, due):
    assert walk_pages(auth_client, user, {}, limit=4) == ids_of(expected_order(due.values()))


# --- Completion bounds ----------------------------------------------------------------------


@pytest.fixture
def completions(user) -> dict[str, Task]:
    """Tasks completed at known moments (two at the same instant), and pending ones."""
    moments = {
        "mar01": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "mar02-a": datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        "mar02-b": datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        "mar02-end": datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC),
        "mar03": datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
        "pending-a": None,
        "pending-b": None,
    }
    return {
        name: TaskFactory(
            user=user,
            title=name,
            completed=moment is not None,
            completed_at=moment,
            created_at=T0,
        )
        for name, moment in moments.items()
    }


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"completed_after": "2026-03-02"}, ["mar02-a", "mar02-b", "mar02-end", "mar03"]),
        ({"completed_before": "2026-03-02"}, ["mar01", "mar02-a", "mar02-b", "mar02-end"]),
        (
            {"completed_after": "2026-03-02", "completed_before": "2026-03-02"},
            ["mar02-a", "mar02-b", "mar02-end"],
        ),
        ({"completed_before": "2026-03-02T00:00:00Z"}, ["mar01", "mar02-a", "mar02-b"]),
        ({"completed_after": "2026-03-02T00:00:00Z"}, ["mar02-a", "mar02-b", "mar02-end", "mar03"]),
        ({"completed_after": "2026-03-02", "status": "pending"}, []),
        ({"completed_before": "2026-03-01T08:59:59Z"}, []),
    ],
    ids=[
        "after-a-bare-date",
        "before-a-bare-date-includes-the-whole-day",
        "one-whole-day",
        "before-is-inclusive",
        "after-is-inclusive",
        "pending-tasks-never-match",
        "before-everything",
    ],
)
def test_completion_bounds_are_inclusive_and_leave_out_pending_tasks(
    auth_client, user, completions, params, names
):
    expected = expected_order([completions[name] for name in names])

    assert walk_pages(auth_client, user, params, limit=2) == ids_of(expected)


# --- Combined filters -----------------------------------------------------------------------


def test_filters_combine_and_the_total_counts_every_match(auth_client, user):
    wanted = [
        TaskFactory(
            user=user,
            title=f"report {i}",
            completed=True,
            due_date=datetime(2026, 1, 31, 9, tzinfo=UTC),
            created_at=T0,
        )
        for i in range(5)
    ]
    TaskFactory(user=user, title="report pending", due_date=datetime(2026, 1, 31, tzinfo=UTC))
    TaskFactory(
        user=user, title="report late", completed=True, due_date=datetime(2026, 2, 2, tzinfo=UTC)
    )
    TaskFactory(
        user=user, title="other", completed=True, due_date=datetime(2026, 1, 31, tzinfo=UTC)
    )

    params = {"status": "completed", "search": "report", "due_before": "2026-01-31"}

    response = auth_client.get(list_url(user), {**params, "limit": 2})
    assert response.json()["data"]["pagination"] == pagination(
        limit=2, offset=0, total=5, has_more=True
    )
    assert walk_pages(auth_client, user, params, limit=2) == ids_of(expected_order(wanted))


# --- Sort -----------------------------------------------------------------------------------


@pytest.fixture
def sortable(user) -> list[Task]:
    """Fourteen tasks with ties in every sortable field, and some nulls where allowed.

    created_at and updated_at take only three distinct values, due dates three plus null,
    titles three, completion times two plus null: each page boundary of a small limit falls
    inside a group of equal values somewhere.
    """
    titles = ["alpha", "bravo", "charlie"]
    due_dates = [
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 4, 2, tzinfo=UTC),
        None,
        datetime(2026, 4, 3, tzinfo=UTC),
    ]
    completed_ats = [datetime(2026, 3, 5, tzinfo=UTC), None, datetime(2026, 3, 6, tzinfo=UTC)]
    tasks = []
    for i in range(14):
        completed_at = completed_ats[i % 3]
        tasks.append(
            TaskFactory(
                user=user,
                title=titles[i % 3],
                due_date=due_dates[i % 4],
                completed=completed_at is not None,
                completed_at=completed_at,
                created_at=T0 + timedelta(hours=i % 3),
            )
        )
    for i, task in enumerate(tasks):
        # auto_now sets updated_at on save; update() writes the wanted value as given.
        Task.objects.filter(pk=task.pk).update(updated_at=T0 + timedelta(days=(i * 7) % 3))
    return list(Task.objects.filter(user=user))


@pytest.mark.parametrize("sort", SORT_CHOICES)
@pytest.mark.parametrize("limit", [1, 3, 5])
def test_every_sort_walks_all_pages_in_order_with_ties_broken_by_id(
    auth_client, user, sortable, sort, limit
):
    expected = expected_order(sortable, sort)

    assert walk_pages(auth_client, user, {"sort": sort}, limit=limit) == ids_of(expected)


def test_the_sort_choices_are_the_six_fields_in_both_directions():
    fields = ["created_at", "updated_at", "due_date", "title", "completed_at", "priority"]

    assert sorted(SORT_CHOICES) == sorted([*fields, *(f"-{field}" for field in fields)])


def test_the_default_sort_is_newest_created_first(auth_client, user, sortable):
    assert walk_pages(auth_client, user, {}, limit=4) == ids_of(
        expected_order(sortable, "-created_at")
    )


@pytest.mark.parametrize("sort", ["due_date", "-due_date"])
def test_tasks_without_a_due_date_sort_last_in_both_directions(auth_client, user, sort):
    undated = TaskFactory(user=user, due_date=None)
    early = TaskFactory(user=user, due_date=datetime(2026, 1, 1, tzinfo=UTC))
    late = TaskFactory(user=user, due_date=datetime(2026, 12, 1, tzinfo=UTC))

    response = auth_client.get(list_url(user), {"sort": sort})

    dated = [early, late] if sort == "due_date" else [late, early]
    assert [item["id"] for item in response.json()["data"]["items"]] == ids_of([*dated, undated])


def test_a_sorted_and_filtered_walk_has_no_gap_or_overlap(auth_client, user, sortable):
    params = {"sort": "title", "status": "completed", "due_after": "2026-04-02"}
    expected = expected_order(
        [
            task
            for task in sortable
            if task.completed
            and task.due_date is not None
            and task.due_date >= datetime(2026, 4, 2, tzinfo=UTC)
        ],
        "title",
    )
    assert expected

    assert walk_pages(auth_client, user, params, limit=2) == ids_of(expected)


@pytest.mark.parametrize("sort", ["title", "-title"])
def test_titles_sort_case_insensitively_and_accents_after_z_on_every_database(
    auth_client, user, sort
):
    titles = {}
    for title in ["beta", "Alpha", "alpha 2", "zeta", "Écrire", "Write…", "écrire"]:
        titles[str(TaskFactory(user=user, title=title).pk)] = title
    ascending = ["Alpha", "alpha 2", "beta", "Write…", "zeta", "Écrire", "écrire"]

    walked = walk_pages(auth_client, user, {"sort": sort}, limit=2)

    assert [titles[task_id] for task_id in walked] == (
        ascending if sort == "title" else ascending[::-1]
    )


def test_the_tie_break_orders_by_id_in_the_sort_direction(auth_client, user):
    tasks = [TaskFactory(user=user, title="same", created_at=T0) for _ in range(5)]
    by_id = sorted(tasks, key=lambda task: task.id)

    ascending = auth_client.get(list_url(user), {"sort": "title"}).json()["data"]["items"]
    descending = auth_client.get(list_url(user), {"sort": "-title"}).json()["data"]["items"]

    assert [item["id"] for item in ascending] == ids_of(by_id)
    assert [item["id"] for item in descending] == ids_of(by_id[::-1])


def test_ids_that_differ_only_past_the_first_byte_still_order_consistently(auth_client, user):
    """UUIDs are compared as stored (text on SQLite, uuid on PostgreSQL); both agree with
    Python's order of `uuid.UUID`, which the tie-break promises."""
    prefix = "00000000-0000-4000-8000-0000000000"
    tasks = [
        TaskFactory(user=user, id=uuid.UUID(prefix + suffix), created_at=T0)
        for suffix in ("0a", "a0", "09", "ff", "10")
    ]

    response = auth_client.get(list_url(user), {"sort": "created_at"})

    assert [item["id"] for item in response.json()["data"]["items"]] == ids_of(
        sorted(tasks, key=lambda task: task.id)
    )


# --- Query count ----------------------------------------------------------------------------


def test_listing_costs_the_same_number_of_queries_for_1_task_as_for_50(
    auth_client, user, django_assert_num_queries
):
    TaskFactory(user=user)
    auth_client.get(list_url(user))  # authentication remembers the user is active
    # The page, its total read from the user's counts in the same query.
    with django_assert_num_queries(1):
        one = auth_client.get(list_url(user), {"limit": 50})

    TaskFactory.create_batch(49, user=user)
    with django_assert_num_queries(1):
        fifty = auth_client.get(list_url(user), {"limit": 50})

    assert len(one.json()["data"]["items"]) == 1
    assert len(fifty.json()["data"]["items"]) == 50


def test_an_empty_page_past_the_end_costs_no_more_than_the_budget(
    auth_client, user, django_assert_max_num_queries
):
    TaskFactory.create_batch(3, user=user)
    auth_client.get(list_url(user))

    with django_assert_max_num_queries(2):
        response = auth_client.get(list_url(user), {"offset": 50})

    assert response.json()["data"]["items"] == []


# --- Cursor ---------------------------------------------------------------------------------


def test_a_cursor_continues_where_the_previous_page_ended(auth_client, user):
    tasks = TaskFactory.create_batch(5, user=user, created_at=T0)

    first = auth_client.get(list_url(user), {"limit": 2}).json()["data"]
    second = auth_client.get(
        list_url(user), {"limit": 2, "cursor": first["pagination"]["next_cursor"]}
    ).json()["data"]

    expected = expected_order(tasks)
    assert [item["id"] for item in second["items"]] == ids_of(expected[2:4])
    assert second["pagination"] == pagination(limit=2, offset=None, total=5, has_more=True)


@pytest.mark.parametrize(
    "cursor",
    ["", "not-a-cursor", "W10", "WyJ0aXRsZSIsbnVsbCwieCJd", "x" * 2000, "\u00e9t\u00e9"],
)
def test_a_cursor_this_api_did_not_give_out_is_a_422(auth_client, user, cursor):
    response = auth_client.get(list_url(user), {"cursor": cursor})

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["cursor"]


def test_a_cursor_with_an_offset_is_a_422(auth_client, user):
    TaskFactory.create_batch(3, user=user)
    cursor = auth_client.get(list_url(user), {"limit": 1}).json()["data"]["pagination"][
        "next_cursor"
    ]

    response = auth_client.get(list_url(user), {"cursor": cursor, "offset": 0})

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"cursor": ["Give either cursor or offset."]}


def test_a_cursor_must_be_used_with_the_sort_it_was_made_for(auth_client, user):
    TaskFactory.create_batch(3, user=user)
    cursor = auth_client.get(list_url(user), {"limit": 1, "sort": "title"}).json()["data"][
        "pagination"
    ]["next_cursor"]

    response = auth_client.get(list_url(user), {"cursor": cursor, "sort": "-title"})

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "cursor": ["This cursor walks sort=title; send that sort with it."]
    }
