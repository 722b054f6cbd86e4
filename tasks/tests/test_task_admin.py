"""The task admin: every user's tasks, filtered and searched, without N+1 queries."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import SuperuserFactory, UserFactory
from tasks.models import Tag, Task
from tasks.tests.factories import TagFactory, TaskFactory

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
    assert headers[1:] == [
        "title",
        "user",
        "completed",
        "priority",
        "tags",
        "due date",
        "created at",
    ]
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


def test_the_add_page_picks_the_owner_with_an_autocomplete_field(admin_client):
    response = admin_client.get(f"{CHANGELIST}add/")

    assert "admin-autocomplete" in response.content.decode()


def test_the_change_page_shows_the_owner_without_letting_the_task_move(admin_client):
    """A task's tags are its owner's; moving it would leave them behind."""
    owner = UserFactory(email="grace@example.com")
    task = TaskFactory(title="Water the plants", user=owner)

    response = admin_client.get(f"{CHANGELIST}{task.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Water the plants" in page
    assert "grace@example.com" in page
    assert "admin-autocomplete" not in page


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
            "priority": "medium",
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
            "priority": "medium",
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
        "priority": task.priority,
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
            "priority": "medium",
        },
    )

    task = Task.objects.get(title="Done already")
    assert response.status_code == 302
    assert (task.completed, task.version) == (True, 1)
    assert task.completed_at is not None


# --- Priorities and tags ----------------------------------------------------------------------

TAG_CHANGELIST = "/admin/tasks/tag/"


def test_the_changelist_shows_and_filters_by_priority_and_tag(admin_client):
    TaskFactory(title="Urgent work", priority="high", tags=["Work", "office"])
    TaskFactory(title="Idle", priority="low")

    page = admin_client.get(CHANGELIST).content.decode()
    by_priority = listed(admin_client.get(CHANGELIST, {"priority__exact": "high"}))
    by_tag = listed(admin_client.get(CHANGELIST, {"tag": "work"}))

    assert "Office, Work" in page or "office, Work" in page
    assert [task.title for task in by_priority] == ["Urgent work"]
    assert [task.title for task in by_tag] == ["Urgent work"]


def test_changing_a_priority_in_the_admin_is_one_change_of_the_task(admin_client):
    task = TaskFactory(title="Water the plants", tags=["home"])

    response = admin_client.post(
        f"{CHANGELIST}{task.pk}/change/", change_form(task, priority="high")
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert (task.priority, task.version, task.tags) == ("high", 2, ["home"])


def test_the_tag_changelist_counts_tasks_without_a_query_per_tag(admin_client):
    for n in range(3):
        TaskFactory(tags=[f"tag{n}", "shared"])

    with CaptureQueriesContext(connection) as few:
        admin_client.get(TAG_CHANGELIST)
    for n in range(3, 12):
        TaskFactory(tags=[f"tag{n}", "shared"])
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(TAG_CHANGELIST)

    assert len(many) == len(few)
    counts = {tag.name: tag.task_count for tag in listed(response)}
    assert counts["tag5"] == 1


def test_the_tag_changelist_searches_names_and_owner_emails(admin_client):
    TagFactory(name="Garden", user=UserFactory(email="grace@example.com"))
    TagFactory(name="Office")

    assert [tag.name for tag in listed(admin_client.get(TAG_CHANGELIST, {"q": "gard"}))] == [
        "Garden"
    ]
    assert [tag.name for tag in listed(admin_client.get(TAG_CHANGELIST, {"q": "grace"}))] == [
        "Garden"
    ]


def test_renaming_a_tag_in_the_admin_renames_it_on_its_tasks(admin_client):
    task = TaskFactory(tags=["home"])
    tag = Tag.objects.get()

    response = admin_client.post(
        f"{TAG_CHANGELIST}{tag.pk}/change/", {"name": "House", "color": ""}
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert (task.tags, task.version) == (["House"], 2)


def test_the_tag_admin_refuses_a_name_the_user_has_in_another_case(admin_client):
    owner = UserFactory()
    TagFactory(user=owner, name="Work")

    response = admin_client.post(
        f"{TAG_CHANGELIST}add/", {"user": owner.pk, "name": "WORK", "color": ""}
    )

    assert response.status_code == 200
    assert "already has a tag" in response.content.decode()
    assert Tag.objects.count() == 1


def test_deleting_a_tag_in_the_admin_takes_it_off_its_tasks(admin_client):
    task = TaskFactory(tags=["home", "work"])
    tag = Tag.objects.get(name="home")

    response = admin_client.post(f"{TAG_CHANGELIST}{tag.pk}/delete/", {"post": "yes"})

    task.refresh_from_db()
    assert response.status_code == 302
    assert (task.tags, task.version) == (["work"], 2)
