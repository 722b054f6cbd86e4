"""The task admin: every user's tasks, filtered and searched, without N+1 queries."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import SuperuserFactory, UserFactory
from tasks.models import Task
from tasks.tests.factories import TaskFactory

CHANGELIST = "/admin/tasks/task/"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(SuperuserFactory(email="root@example.com", name="Root"))
    return client


def listed(response) -> list[Task]:
    return list(response.context["cl"].result_list)


def test_the_changelist_renders_for_a_superuser(admin_client):
    TaskFactory(title="Water the plants")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "Water the plants" in response.content.decode()


def test_the_changelist_is_refused_to_a_user_who_is_not_staff(db):
    client = Client()
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_changelist_shows_title_owner_completed_due_date_and_created(admin_client):
    owner = UserFactory(email="grace@example.com")
    TaskFactory(user=owner, title="Water the plants", due_date=datetime(2026, 1, 31, tzinfo=UTC))

    response = admin_client.get(CHANGELIST)

    headers = [header["text"] for header in response.context["result_headers"]]
    assert headers[1:] == ["title", "user", "completed", "due date", "created at"]
    page = response.content.decode()
    assert "Water the plants" in page
    assert "grace@example.com" in page
    assert "Jan. 31, 2026" in page


def test_the_changelist_lists_every_users_tasks_newest_first(admin_client):
    older = TaskFactory(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    newer = TaskFactory(created_at=datetime(2026, 2, 1, tzinfo=UTC))

    response = admin_client.get(CHANGELIST)

    assert listed(response) == [newer, older]


@pytest.mark.parametrize(("value", "wanted"), [("1", "Done"), ("0", "Open")])
def test_the_changelist_filters_on_completed(admin_client, value, wanted):
    TaskFactory(title="Done", completed=True)
    TaskFactory(title="Open", completed=False)

    response = admin_client.get(CHANGELIST, {"completed__exact": value})

    assert response.status_code == 200
    assert [task.title for task in listed(response)] == [wanted]


def test_the_changelist_filters_on_due_date(admin_client):
    TaskFactory(title="January", due_date=datetime(2026, 1, 15, tzinfo=UTC))
    TaskFactory(title="February", due_date=datetime(2026, 2, 15, tzinfo=UTC))
    TaskFactory(title="Undated", due_date=None)

    in_range = admin_client.get(
        CHANGELIST,
        {"due_date__gte": "2026-02-01 00:00:00+00:00", "due_date__lt": "2026-03-01 00:00:00+00:00"},
    )
    undated = admin_client.get(CHANGELIST, {"due_date__isnull": "True"})

    assert [task.title for task in listed(in_range)] == ["February"]
    assert [task.title for task in listed(undated)] == ["Undated"]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [("plants", ["Water the plants"]), ("grace@example", ["Water the plants", "Buy milk"])],
    ids=["title", "owner-email"],
)
def test_the_changelist_searches_title_and_owner_email(admin_client, query, wanted):
    grace = UserFactory(email="grace@example.com")
    TaskFactory(user=grace, title="Buy milk", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    TaskFactory(user=grace, title="Water the plants", created_at=datetime(2026, 1, 2, tzinfo=UTC))
    TaskFactory(user=UserFactory(email="ada@example.com"), title="Feed the cat")

    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert [task.title for task in listed(response)] == wanted


def test_the_changelist_query_count_does_not_grow_with_the_number_of_tasks(admin_client):
    def changelist_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        TaskFactory(user=UserFactory())
    with_3 = changelist_queries()
    for _ in range(27):
        TaskFactory(user=UserFactory())
    with_30 = changelist_queries()

    assert with_30 == with_3


def test_the_add_page_renders(admin_client):
    response = admin_client.get(f"{CHANGELIST}add/")

    assert response.status_code == 200


def test_the_change_page_renders_with_an_autocomplete_owner_field(admin_client):
    task = TaskFactory(title="Water the plants")

    response = admin_client.get(f"{CHANGELIST}{task.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Water the plants" in page
    assert "admin-autocomplete" in page


def test_completing_a_task_in_the_admin_stamps_completed_at(admin_client):
    task = TaskFactory(title="Water the plants")

    response = admin_client.post(
        f"{CHANGELIST}{task.pk}/change/",
        {
            "user": task.user_id,
            "title": "Water the plants",
            "description": "",
            "due_date_0": "",
            "due_date_1": "",
            "completed": "on",
        },
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert task.completed is True
    assert task.completed_at is not None


def test_reopening_a_task_in_the_admin_clears_completed_at(admin_client):
    task = TaskFactory(title="Water the plants", completed=True)

    response = admin_client.post(
        f"{CHANGELIST}{task.pk}/change/",
        {
            "user": task.user_id,
            "title": "Water the plants",
            "description": "",
            "due_date_0": "",
            "due_date_1": "",
        },
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert (task.completed, task.completed_at) == (False, None)


def test_deleting_in_the_admin_leaves_a_tombstone_for_sync_clients(admin_client):
    task = TaskFactory()

    response = admin_client.post(f"/admin/tasks/task/{task.pk}/delete/", {"post": "yes"})

    task.refresh_from_db()
    assert response.status_code == 302
    assert task.deleted_at is not None
    assert task.version == 2
    assert admin_client.get(f"/admin/tasks/task/{task.pk}/change/").status_code == 302


def change_form(task, **fields) -> dict:
    return {
        "user": task.user_id,
        "title": task.title,
        "description": task.description or "",
        "due_date_0": "",
        "due_date_1": "",
        **({"completed": "on"} if task.completed else {}),
        **fields,
    }


def test_an_admin_edit_is_one_change_of_the_task_as_an_api_edit_would_be(admin_client):
    task = TaskFactory(title="Water the plants")
    before = Task.objects.get(pk=task.pk)

    response = admin_client.post(
        f"{CHANGELIST}{task.pk}/change/", change_form(task, title="Water the garden")
    )

    after = Task.objects.get(pk=task.pk)
    assert response.status_code == 302
    assert (after.title, after.version) == ("Water the garden", before.version + 1)
    assert after.updated_at > before.updated_at
    assert after.change_seq > before.change_seq


def test_saving_an_unchanged_task_in_the_admin_writes_nothing(admin_client):
    task = TaskFactory(title="Water the plants")
    before = Task.objects.get(pk=task.pk)

    response = admin_client.post(f"{CHANGELIST}{task.pk}/change/", change_form(task))

    after = Task.objects.get(pk=task.pk)
    assert response.status_code == 302
    assert (after.version, after.updated_at, after.change_seq) == (
        before.version,
        before.updated_at,
        before.change_seq,
    )


def test_adding_a_completed_task_in_the_admin_stamps_completed_at(admin_client, user):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "user": user.pk,
            "title": "Done already",
            "description": "",
            "due_date_0": "",
            "due_date_1": "",
            "completed": "on",
        },
    )

    task = Task.objects.get(title="Done already")
    assert response.status_code == 302
    assert (task.completed, task.version) == (True, 1)
    assert task.completed_at is not None
