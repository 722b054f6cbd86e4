"""How many SQL queries each task route costs, once authentication knows the user is active.

The budget (list: the page, with the total read from the user's counts in the same query or
counted in a second; retrieve and create: one; a write: one conditional UPDATE that returns
the task as written, and a read only when it wrote nothing) is part of what keeps the API
fast; a change that adds a query fails here.
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
