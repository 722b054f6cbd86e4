"""How many SQL queries each task route costs, once authentication knows the user is active.

The budget (list: the page, with the total read from the user's counts in the same query,
or counted in a second, or with one tag, the tag's id read first and its links counted in
the page's query; retrieve and create: one, and a create
naming tags three at most; a write: one conditional UPDATE that returns the task as
written, one more first when it names tags, and a read only when it wrote nothing) is part
of what keeps the API fast; a change that adds a query fails here. Tags cost no query of
their own to read: a task keeps their names.
Statements inside a transaction's BEGIN and COMMIT (which SQLite's driver logs as
statements, and, inside a test's own transaction, the SAVEPOINTs that stand in for them) are
counted as the work they wrap, not the control around it.
"""

import re
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.tests.factories import TaskFactory


@pytest.fixture
def task(user, auth_client):
    task = TaskFactory(user=user)
    # The first request of a user looks up whether the account is active; later ones
    # within AUTH_USER_CACHE_SECONDS do not.
    auth_client.get(f"/api/{user.pk}/tasks/{task.pk}")
    return task


def test_listing_with_a_row_filter_costs_two_queries_the_count_and_the_page(
    auth_client, user, task, django_assert_max_num_queries
):
    TaskFactory.create_batch(30, user=user)

    with django_assert_max_num_queries(2):
        response = auth_client.get(f"/api/{user.pk}/tasks", {"limit": 20, "search": "a"})

    assert response.status_code == 200


def test_listing_tagged_tasks_costs_one_query_and_by_a_tag_two(
    auth_client, user, task, django_assert_num_queries
):
    for n in range(30):
        TaskFactory(user=user, tags=["work", f"t{n % 4}"])

    with django_assert_num_queries(1):
        response = auth_client.get(f"/api/{user.pk}/tasks", {"limit": 20})
    with django_assert_num_queries(2):
        by_one_tag = auth_client.get(f"/api/{user.pk}/tasks", {"limit": 20, "tag": "work"})
    with django_assert_num_queries(1):
        by_no_such_tag = auth_client.get(f"/api/{user.pk}/tasks", {"tag": "holidays"})

    assert all(item["tags"] for item in response.json()["data"]["items"])
    # The tag's id, then the page with the total its links count.
    assert by_one_tag.json()["data"]["pagination"]["total"] == 30
    assert by_no_such_tag.json()["data"]["pagination"]["total"] == 0


@pytest.mark.parametrize(
    "params", [{"tag": "work,t1"}, {"tag": "work", "status": "pending"}, {"priority": "high"}]
)
def test_listing_by_several_tags_or_a_tag_and_another_filter_costs_two_queries(
    auth_client, user, task, params, django_assert_max_num_queries
):
    for n in range(30):
        TaskFactory(user=user, tags=["work", f"t{n % 4}"], priority="high")

    with django_assert_max_num_queries(2):
        response = auth_client.get(f"/api/{user.pk}/tasks", {"limit": 20, **params})

    assert response.json()["data"]["items"]


def test_walking_by_cursor_costs_two_queries(
    auth_client, user, task, django_assert_max_num_queries
):
    TaskFactory.create_batch(30, user=user)
    cursor = auth_client.get(f"/api/{user.pk}/tasks").json()["data"]["pagination"]["next_cursor"]

    with django_assert_max_num_queries(2):
        response = auth_client.get(f"/api/{user.pk}/tasks", {"cursor": cursor})

    assert response.status_code == 200


def test_retrieving_costs_one_query(auth_client, user, task, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = auth_client.get(f"/api/{user.pk}/tasks/{task.pk}")

    assert response.status_code == 200


def test_creating_costs_one_query(auth_client, user, task):
    with at_most_statements_of_work(1):
        response = auth_client.post(f"/api/{user.pk}/tasks", {"title": "one"}, format="json")

    assert response.status_code == 201


def test_creating_with_tags_new_and_known_costs_at_most_three_queries(auth_client, user, task):
    TaskFactory(user=user, tags=["known"])
    body = {"title": "one", "tags": ["known", "new", "newer"], "priority": "high"}

    with at_most_statements_of_work(3):
        response = auth_client.post(f"/api/{user.pk}/tasks", body, format="json")

    assert response.status_code == 201
    assert response.json()["data"]["tags"] == ["known", "new", "newer"]


def test_retrieving_a_tagged_task_costs_one_query(auth_client, user, django_assert_num_queries):
    tagged = TaskFactory(user=user, tags=["a", "b"])
    auth_client.get(f"/api/{user.pk}/tasks/{tagged.pk}")

    with django_assert_num_queries(1):
        response = auth_client.get(f"/api/{user.pk}/tasks/{tagged.pk}")

    assert response.json()["data"]["tags"] == ["a", "b"]


def test_a_write_that_names_tags_costs_two_queries(auth_client, user, task):
    with at_most_statements_of_work(2):
        response = auth_client.patch(
            f"/api/{user.pk}/tasks/{task.pk}", {"tags": ["a", "b"]}, format="json"
        )

    assert response.json()["data"]["tags"] == ["a", "b"]


TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@contextmanager
def at_most_statements_of_work(budget: int):
    with CaptureQueriesContext(connection) as captured:
        yield
    work = [q["sql"] for q in captured if not TRANSACTION_CONTROL.match(q["sql"])]
    assert len(work) <= budget, "\n".join(work)


WRITES = [
    ("patch", "", {"title": "changed"}),
    ("put", "", {"title": "replaced"}),
    ("patch", "/complete", {"completed": True}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_write_that_changes_the_task_costs_one_query(
    auth_client, user, task, method, suffix, body
):
    with at_most_statements_of_work(1):
        response = getattr(auth_client, method)(
            f"/api/{user.pk}/tasks/{task.pk}{suffix}", body, format="json"
        )

    assert response.status_code == 200
    assert response.json()["data"]["version"] == 2


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_write_that_changes_nothing_costs_two_queries_the_update_and_a_read(
    auth_client, user, task, method, suffix, body
):
    url = f"/api/{user.pk}/tasks/{task.pk}{suffix}"
    getattr(auth_client, method)(url, body, format="json")

    with at_most_statements_of_work(2):
        response = getattr(auth_client, method)(url, body, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["version"] == 2


@pytest.mark.django_db(transaction=True)
def test_deleting_costs_at_most_two_queries(auth_client, user, task):
    with at_most_statements_of_work(2):
        response = auth_client.delete(f"/api/{user.pk}/tasks/{task.pk}")

    assert response.status_code == 204
