"""GET /api/{user_id}/tasks?search=...: a case-insensitive substring of the title or the
description, the same on SQLite and PostgreSQL.

The term is matched literally: `%`, `_` and `\\` are characters, not wildcards or escapes.
Terms of one or two characters, which a trigram index cannot look up, find every match too.
On PostgreSQL the search can use task_search_trgm_idx (the last test shows the plan).
"""

import pytest
from django.db import connection

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from tasks.tests.test_task_listing import (
    T0,
    expected_order,
    ids_of,
    list_url,
    pagination,
    walk_pages,
)


def found(client, user, term: str) -> list[str]:
    """The ids the search finds, walking every page, in list order."""
    return walk_pages(client, user, {"search": term}, limit=3)


def titled(user, *titles: str, description: str | None = None) -> list[Task]:
    return [
        TaskFactory(user=user, title=title, description=description, created_at=T0)
        for title in titles
    ]


@pytest.fixture
def searchable(user) -> dict[str, Task]:
    rows = {
        "title-hit": ("Buy MILK and bread", None),
        "title-hit-2": ("milkshake", "sweet"),
        "description-hit": ("Groceries", "semi-skimmed Milk, two litres"),
        "both": ("milk", "milk"),
        "miss": ("Buy bread", "wholemeal"),
        "miss-null-description": ("Call mum", None),
        "near-miss": ("mi lk", "m-ilk"),
    }
    return {
        name: TaskFactory(user=user, title=title, description=description, created_at=T0)
        for name, (title, description) in rows.items()
    }


@pytest.mark.parametrize("term", ["milk", "MILK", "Milk", "  milk  "])
def test_search_finds_a_case_insensitive_substring_of_title_or_description(
    auth_client, user, searchable, term
):
    expected = expected_order(
        [searchable[name] for name in ("title-hit", "title-hit-2", "description-hit", "both")]
    )

    assert found(auth_client, user, term) == ids_of(expected)


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("bread", ["title-hit", "miss"]),
        ("two litres", ["description-hit"]),
        ("whole", ["miss"]),
        ("nothing like this", []),
    ],
)
def test_search_matches_substrings_spanning_words(auth_client, user, searchable, term, names):
    expected = expected_order([searchable[name] for name in names])

    assert found(auth_client, user, term) == ids_of(expected)


@pytest.mark.parametrize("term", ["", "   "])
def test_an_empty_search_lists_every_task(auth_client, user, searchable, term):
    assert found(auth_client, user, term) == ids_of(expected_order(searchable.values()))


@pytest.mark.parametrize("term", ["%", "_", "\\", "'"])
def test_search_takes_wildcard_and_quote_characters_literally(auth_client, user, term):
    literal = TaskFactory(user=user, title=f"100{term} done")
    TaskFactory(user=user, title="plain title")

    response = auth_client.get(list_url(user), {"search": term})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]["items"]] == [str(literal.id)]


@pytest.mark.parametrize(
    ("term", "titles"),
    [
        # As LIKE wildcards, `50%` would match all three and `e_n` both file names.
        ("50%", ["50% off"]),
        ("e_n", ["file_name"]),
        # A backslash is not an escape: `\%` is a backslash, then a percent sign.
        ("\\%", ["100\\% sure"]),
        ("C:\\t", ["C:\\temp"]),
    ],
)
def test_percent_underscore_and_backslash_match_only_themselves(auth_client, user, term, titles):
    tasks = titled(user, "50% off", "50 off", "500 off", "file_name", "file-name", "filename")
    tasks += titled(user, "100\\% sure", "100% sure", "C:\\temp", "C:temp", "C:\\\\temp")
    expected = [task for task in tasks if task.title in titles]

    assert found(auth_client, user, term) == ids_of(expected_order(expected))


@pytest.fixture
def short_words(user) -> dict[str, Task]:
    rows = {
        "abc": ("Abc", None),
        "cab": ("cab", None),
        "a": ("A", None),
        "xy": ("xy", None),
        "described": ("Other", "cab too"),
    }
    return {
        name: TaskFactory(user=user, title=title, description=description, created_at=T0)
        for name, (title, description) in rows.items()
    }


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("a", ["abc", "cab", "a", "described"]),
        ("AB", ["abc", "cab", "described"]),
        ("ca", ["cab", "described"]),
        ("XY", ["xy"]),
        ("z", []),
    ],
)
def test_one_and_two_character_terms_find_every_match(auth_client, user, short_words, term, names):
    """Too short for a trigram: the index cannot narrow by the term, the answer is the same."""
    expected = expected_order([short_words[name] for name in names])

    assert found(auth_client, user, term) == ids_of(expected)


def test_the_total_counts_every_match_across_pages(auth_client, user):
    matches = titled(user, *(f"Quarterly report {n}" for n in range(12)))
    titled(user, *(f"Something else {n}" for n in range(7)))
    titled(user, "Notes", description="See the REPORT")

    response = auth_client.get(list_url(user), {"search": "report", "limit": 5})

    assert response.status_code == 200
    assert response.json()["data"]["pagination"] == pagination(
        limit=5, offset=0, total=13, has_more=True
    )
    assert len(matches) == 12


def test_another_users_matches_are_neither_listed_nor_counted(auth_client, user, other_user):
    mine = titled(user, "report mine")
    titled(other_user, "report theirs", "another report of theirs")

    response = auth_client.get(list_url(user), {"search": "report"})

    body = response.json()["data"]
    assert [item["id"] for item in body["items"]] == ids_of(mine)
    assert body["pagination"]["total"] == 1


def test_deleted_tasks_are_neither_listed_nor_counted(auth_client, user):
    kept, deleted = titled(user, "report kept", "report deleted")
    assert auth_client.delete(f"{list_url(user)}/{deleted.id}").status_code == 204

    response = auth_client.get(list_url(user), {"search": "report"})

    body = response.json()["data"]
    assert [item["id"] for item in body["items"]] == [str(kept.id)]
    assert body["pagination"]["total"] == 1


def test_a_renamed_task_is_found_by_its_new_title_only(auth_client, user):
    (task,) = titled(user, "Draft the budget")
    response = auth_client.patch(
        f"{list_url(user)}/{task.id}", {"title": "Send the invoice"}, format="json"
    )
    assert response.status_code == 200

    assert found(auth_client, user, "budget") == []
    assert found(auth_client, user, "invoice") == [str(task.id)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index")
def test_search_can_use_the_trigram_index_for_title_and_description(db):
    """The planner can answer both halves of the search from task_search_trgm_idx.

    Sequential scans are priced out, and the query names no owner, so no other index can
    serve it: if the index's expressions ever stopped being what `icontains` compares
    (Django changing its SQL, say), this plan would fall back to a sequential scan.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = Task.objects.search("report").explain()

    assert "Seq Scan" not in plan
    index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert len(index_conditions) == 2, plan
    assert "upper((title)::text) ~~ '%REPORT%'" in index_conditions[0], plan
    assert "upper(description) ~~ '%REPORT%'" in index_conditions[1], plan
    assert plan.count("Bitmap Index Scan on task_search_trgm_idx") == 2, plan
