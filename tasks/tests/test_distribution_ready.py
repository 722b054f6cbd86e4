"""Every statement an API route runs on tasks, the ledger or idempotency records names the
owner's `user_id`, so those tables can be distributed by `user_id` (Citus, say) without a
code change: each statement then goes to the one node that holds the user's rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.tests.factories import TaskFactory

OWNED_TABLES = (
    "tasks_task",
    "tasks_usertaskcount",
    "tasks_idempotentrequest",
    "tasks_tag",
    "tasks_tasktag",
)
# An owner condition or an inserted owner: `"tasks_task"."user_id" = ...`, `... IN (...)`,
# or `user_id` among an INSERT's columns.
NAMES_OWNER = re.compile(r'"user_id"\s*(=|IN\b)|INSERT INTO "\w+" \([^)]*"user_id"', re.I)
TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", re.I)


def calls(client, user):
    """One call of every task route, and the variations that change their SQL."""
    base = f"/api/{user.pk}/tasks"
    task = TaskFactory(user=user)
    done = TaskFactory(user=user, completed=True)
    yield client.get(base)
    yield client.get(base, {"status": "completed", "sort": "title", "limit": 1})
    yield client.get(base, {"search": "task", "due_before": "2030-01-01T00:00:00Z"})
    first_page = client.get(base, {"limit": 1}).json()["data"]["pagination"]
    yield client.get(base, {"limit": 1, "cursor": first_page["next_cursor"]})
    yield client.post(base, {"title": "new"}, format="json")
    yield client.post(base, {"title": "kept"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    yield client.post(base, {"title": "kept"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    yield client.get(f"{base}/{task.pk}")
    yield client.put(f"{base}/{task.pk}", {"title": "replaced"}, format="json")
    yield client.patch(f"{base}/{task.pk}", {"title": "patched"}, format="json")
    yield client.patch(f"{base}/{task.pk}", {"title": "patched"}, format="json", HTTP_IF_MATCH="*")
    yield client.patch(f"{base}/{done.pk}/complete", {"completed": False}, format="json")
    changes = client.get(f"{base}/changes").json()["data"]
    yield client.delete(f"{base}/{done.pk}")
    yield client.get(f"{base}/changes", {"since": changes["next_cursor"]})
    yield client.post(base, {"title": "tagged", "tags": ["a", "b"]}, format="json")
    yield client.patch(f"{base}/{task.pk}", {"tags": ["b", "c"], "priority": "low"}, format="json")
    yield client.get(base, {"tag": "b", "sort": "-priority"})
    yield client.get(base, {"tag": "b,c", "priority": "low,high"})
    tags = f"/api/{user.pk}/tags"
    yield client.get(tags)
    created = client.post(tags, {"name": "d"}, format="json")
    yield created
    tag_id = created.json()["data"]["id"]
    yield client.get(f"{tags}/{tag_id}")
    b_id = client.get(tags).json()["data"]["items"][1]["id"]
    yield client.patch(f"{tags}/{b_id}", {"name": "B2"}, format="json")
    yield client.delete(f"{tags}/{b_id}")


@pytest.mark.django_db
def test_every_statement_on_owned_tables_names_the_owner(auth_client, user):
    with CaptureQueriesContext(connection) as captured:
        for response in calls(auth_client, user):
            assert response.status_code < 400, response.json()

    owned = [
        query["sql"]
        for query in captured.captured_queries
        if any(
            f'"{table}"' in query["sql"] or f" {table} " in query["sql"] for table in OWNED_TABLES
        )
        and not TRANSACTION_CONTROL.match(query["sql"])
    ]
    assert owned, "the routes ran no statement on the owned tables"
    assert [sql for sql in owned if not NAMES_OWNER.search(sql)] == []
