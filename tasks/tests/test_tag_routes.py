"""/api/{user_id}/tags: list, create, get, rename or recolor, and delete a tag. Renaming or
deleting a tag changes every task carrying it, as one change of each."""

import uuid

import pytest

from tasks.models import Tag, Task, TaskTag
from tasks.tests.factories import TagFactory, TaskFactory


def tags_url(user) -> str:
    return f"/api/{user.pk}/tags"


def tag_url(tag: Tag) -> str:
    return f"/api/{tag.user_id}/tags/{tag.pk}"


def changes_since(client, user, cursor: str) -> dict:
    return client.get(f"/api/{user.pk}/tasks/changes", {"since": cursor}).json()["data"]


def feed_cursor(client, user) -> str:
    return client.get(f"/api/{user.pk}/tasks/changes").json()["data"]["next_cursor"]


# --- List -------------------------------------------------------------------------------------


def test_the_list_shows_each_tag_in_tag_order_with_its_live_task_count(auth_client, user):
    TaskFactory(user=user, tags=["work", "Errands"])
    TaskFactory(user=user, tags=["work"])
    TaskFactory(user=user, tags=["work"])
    gone = TaskFactory(user=user, tags=["work"])
    Task.objects.filter(pk=gone.pk).delete_as_tombstones()
    TagFactory(user=user, name="Zoo", color="#00ff00")

    response = auth_client.get(tags_url(user))

    assert response.status_code == 200
    data = response.json()["data"]
    assert [(t["name"], t["task_count"], t["color"]) for t in data["items"]] == [
        ("Errands", 1, None),
        ("work", 3, None),
        ("Zoo", 0, "#00ff00"),
    ]
    assert data["pagination"] == {
        "limit": 10,
        "offset": 0,
        "total": 3,
        "has_more": False,
        "next_cursor": None,
    }
    assert set(data["items"][0]) == {"id", "name", "color", "task_count", "created_at"}


def test_the_list_pages_by_limit_and_offset(auth_client, user):
    for name in ["d", "a", "c", "b", "e"]:
        TagFactory(user=user, name=name)

    page = auth_client.get(tags_url(user), {"limit": 2, "offset": 2}).json()["data"]

    assert [t["name"] for t in page["items"]] == ["c", "d"]
    assert (page["pagination"]["total"], page["pagination"]["has_more"]) == (5, True)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
def test_bad_paging_parameters_are_a_422(auth_client, user, params):
    assert auth_client.get(tags_url(user), params).status_code == 422


# --- Create -----------------------------------------------------------------------------------


def test_creating_a_tag_answers_201_with_it_and_where_it_lives(auth_client, user):
    response = auth_client.post(
        tags_url(user), {"name": " Work ", "color": "#FFAA00"}, format="json"
    )

    assert response.status_code == 201
    tag = Tag.objects.get()
    assert response.json()["data"] == {
        "id": str(tag.pk),
        "name": "Work",
        "color": "#ffaa00",
        "task_count": 0,
        "created_at": tag.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert response.headers["Location"].endswith(f"/api/{user.pk}/tags/{tag.pk}")


@pytest.mark.parametrize("name", ["work", "WORK", " Work "])
def test_creating_a_name_you_have_in_any_case_is_a_409(auth_client, user, name):
    TagFactory(user=user, name="Work")

    response = auth_client.post(tags_url(user), {"name": name}, format="json")

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "CONFLICT",
        "message": 'You already have a tag named "Work".',
        "details": None,
    }
    assert Tag.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "a,b"},
        {"name": "x" * 51},
        {"name": "ok", "color": "red"},
        {"name": "ok", "color": "#12345"},
        {"name": "ok", "color": 123},
        {"name": "ok", "colour": "#123456"},
    ],
)
def test_a_bad_tag_is_a_422_and_creates_nothing(auth_client, user, body):
    response = auth_client.post(tags_url(user), body, format="json")

    assert response.status_code == 422
    assert not Tag.objects.exists()


# --- Get, rename, recolor ---------------------------------------------------------------------


def test_getting_a_tag_shows_its_task_count(auth_client, user):
    TaskFactory(user=user, tags=["home"])

    response = auth_client.get(tag_url(Tag.objects.get()))

    assert response.json()["data"]["task_count"] == 1


def test_renaming_a_tag_renames_it_on_every_task_as_one_change_of_each(auth_client, user):
    first = TaskFactory(user=user, tags=["home", "zzz"])
    second = TaskFactory(user=user, tags=["home"])
    untagged = TaskFactory(user=user)
    tag = Tag.objects.get(name="home")
    cursor = feed_cursor(auth_client, user)

    response = auth_client.patch(tag_url(tag), {"name": "Apartment"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Apartment"
    assert response.json()["data"]["task_count"] == 2
    for task in (first, second, untagged):
        task.refresh_from_db()
    assert (first.tags, first.version) == (["Apartment", "zzz"], 2)
    assert (second.tags, second.version) == (["Apartment"], 2)
    assert untagged.version == 1
    changes = changes_since(auth_client, user, cursor)
    assert sorted(t["id"] for t in changes["tasks"]) == sorted([str(first.pk), str(second.pk)])
    assert (
        auth_client.get(f"/api/{user.pk}/tasks", {"tag": "apartment"}).json()["data"]["pagination"][
            "total"
        ]
        == 2
    )


def test_renaming_a_tag_to_another_case_of_its_name_respells_it(auth_client, user):
    task = TaskFactory(user=user, tags=["home"])
    tag = Tag.objects.get()

    response = auth_client.patch(tag_url(tag), {"name": "Home"}, format="json")

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.tags == ["Home"]


def test_renaming_a_tag_to_a_name_another_tag_has_is_a_409_and_merges_nothing(auth_client, user):
    task = TaskFactory(user=user, tags=["home", "work"])
    home = Tag.objects.get(name="home")

    response = auth_client.patch(tag_url(home), {"name": "WORK"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["message"] == 'You already have a tag named "work".'
    task.refresh_from_db()
    assert (task.tags, task.version) == (["home", "work"], 1)
    assert Tag.objects.count() == 2


def test_a_tag_as_read_may_be_sent_back_its_read_only_fields_ignored(auth_client, user):
    TaskFactory(user=user, tags=["home"])
    read = auth_client.get(tags_url(user)).json()["data"]["items"][0]

    response = auth_client.patch(
        f"{tags_url(user)}/{read['id']}", {**read, "name": "Home", "task_count": 99}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["data"]["name"], response.json()["data"]["task_count"]) == ("Home", 1)


def test_changing_only_the_color_leaves_the_tasks_alone(auth_client, user):
    task = TaskFactory(user=user, tags=["home"])
    tag = Tag.objects.get()

    response = auth_client.patch(tag_url(tag), {"color": "#123abc"}, format="json")
    cleared = auth_client.patch(tag_url(tag), {"color": None}, format="json")

    assert response.json()["data"]["color"] == "#123abc"
    assert cleared.json()["data"]["color"] is None
    task.refresh_from_db()
    assert task.version == 1


# --- Delete -----------------------------------------------------------------------------------


def test_deleting_a_tag_takes_it_off_every_task_as_one_change_of_each(auth_client, user):
    task = TaskFactory(user=user, tags=["home", "work"])
    other = TaskFactory(user=user, tags=["work"])
    tag = Tag.objects.get(name="home")
    cursor = feed_cursor(auth_client, user)

    response = auth_client.delete(tag_url(tag))

    assert response.status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()
    task.refresh_from_db()
    other.refresh_from_db()
    assert (task.tags, task.version) == (["work"], 2)
    assert other.version == 1
    assert [t["id"] for t in changes_since(auth_client, user, cursor)["tasks"]] == [str(task.pk)]
    assert list(TaskTag.objects.filter(task=task).values_list("tag__name", flat=True)) == ["work"]
    assert not TaskTag.objects.filter(tag_id=tag.pk).exists()


def test_deleting_a_tag_twice_is_a_404(auth_client, user):
    tag = TagFactory(user=user)
    auth_client.delete(tag_url(tag))

    assert auth_client.delete(tag_url(tag)).status_code == 404


# --- Isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_tag_is_a_404_and_is_left_alone(auth_client, user, other_user, method):
    theirs = TagFactory(user=other_user, name="theirs")

    response = getattr(auth_client, method)(
        f"/api/{user.pk}/tags/{theirs.pk}", {"name": "mine"}, format="json"
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "theirs"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_users_tag_path_is_a_403(auth_client, other_user, method):
    response = getattr(auth_client, method)(tags_url(other_user), {"name": "x"}, format="json")

    assert response.status_code == 403
    assert not Tag.objects.exists()


def test_an_unknown_tag_id_is_a_404(auth_client, user):
    assert auth_client.get(f"/api/{user.pk}/tags/{uuid.uuid4()}").status_code == 404


def test_tag_routes_need_a_signed_in_user(api_client, user):
    assert api_client.get(tags_url(user)).status_code == 401
