"""A task's tags: names, created on first use, compared case-insensitively, listed in tag
order; replaced as a whole by a write; filtered by with `tag=`."""

import pytest

from tasks.models import Tag, Task, TaskTag
from tasks.tests.factories import TagFactory, TaskFactory


def tasks_url(user) -> str:
    return f"/api/{user.pk}/tasks"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.pk}"


def tag_names(user) -> list[str]:
    return list(Tag.objects.filter(user=user).order_by("name_key").values_list("name", flat=True))


def linked_names(task: Task) -> list[str]:
    return sorted(TaskTag.objects.filter(task=task).values_list("tag__name", flat=True))


def titles(response) -> list[str]:
    return [item["title"] for item in response.json()["data"]["items"]]


# --- Writing a task's tags ------------------------------------------------------------------


def test_a_task_created_with_tags_creates_them_and_lists_them_in_tag_order(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "Buy milk", "tags": ["errands", "Home", "zeta"]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["tags"] == ["errands", "Home", "zeta"]
    task = Task.objects.get()
    assert task.tags == ["errands", "Home", "zeta"]
    assert linked_names(task) == ["Home", "errands", "zeta"]
    assert tag_names(user) == ["errands", "Home", "zeta"]


def test_tag_order_is_by_the_case_folded_name_not_by_how_it_was_sent(auth_client, user):
    response = auth_client.post(
        tasks_url(user),
        {"title": "x", "tags": ["b", "A", "Straße", "strasse2", "a2"]},
        format="json",
    )

    assert response.json()["data"]["tags"] == ["A", "a2", "b", "Straße", "strasse2"]


def test_a_tag_named_in_another_case_is_the_same_tag_spelled_as_first_written(auth_client, user):
    auth_client.post(tasks_url(user), {"title": "one", "tags": ["Work"]}, format="json")

    response = auth_client.post(tasks_url(user), {"title": "two", "tags": ["WORK"]}, format="json")

    assert response.json()["data"]["tags"] == ["Work"]
    assert tag_names(user) == ["Work"]


def test_names_repeated_in_one_request_collapse_into_the_first_spelling(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "x", "tags": ["home", "Home", " home ", "HOME"]}, format="json"
    )

    assert response.json()["data"]["tags"] == ["home"]


def test_tag_names_are_trimmed(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "x", "tags": ["  garden  "]}, format="json"
    )

    assert response.json()["data"]["tags"] == ["garden"]


def test_each_user_has_their_own_tags(auth_client, other_client, user, other_user):
    auth_client.post(tasks_url(user), {"title": "mine", "tags": ["work"]}, format="json")
    other_client.post(tasks_url(other_user), {"title": "theirs", "tags": ["Work"]}, format="json")

    assert tag_names(user) == ["work"]
    assert tag_names(other_user) == ["Work"]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("work", 'Expected a list of items but got type "str".'),
        (None, "This field may not be null."),
        ([""], "This field may not be blank."),
        (["   "], "This field may not be blank."),
        (["x" * 51], "Ensure this field has no more than 50 characters."),
        (["a\x00b"], "Must not contain control characters or commas"),
        (["line\nbreak"], "Must not contain control characters or commas"),
        (["a,b"], "Must not contain control characters or commas"),
        ([7], "Must be a JSON string."),
        ([f"t{n}" for n in range(21)], "Ensure this field has no more than 20 elements."),
    ],
)
def test_a_bad_list_of_tags_is_a_422_and_creates_nothing(auth_client, user, tags, message):
    response = auth_client.post(tasks_url(user), {"title": "x", "tags": tags}, format="json")

    assert response.status_code == 422
    assert "tags" in response.json()["error"]["details"]
    assert message in str(response.json()["error"]["details"]["tags"])
    assert not Task.objects.exists()
    assert not Tag.objects.exists()


def test_fifty_characters_and_twenty_tags_are_accepted(auth_client, user):
    names = ["x" * 50, *(f"t{n:02}" for n in range(19))]

    response = auth_client.post(tasks_url(user), {"title": "x", "tags": names}, format="json")

    assert response.status_code == 201
    assert len(response.json()["data"]["tags"]) == 20


def test_patching_tags_replaces_the_whole_set(auth_client, user):
    task = TaskFactory(user=user, tags=["home", "work"])

    response = auth_client.patch(task_url(task), {"tags": ["work", "garden"]}, format="json")

    assert response.json()["data"]["tags"] == ["garden", "work"]
    assert response.json()["data"]["version"] == 2
    task.refresh_from_db()
    assert linked_names(task) == ["garden", "work"]
    # The tag no task carries any more is still the user's.
    assert tag_names(user) == ["garden", "home", "work"]


def test_patching_an_empty_list_clears_the_tags(auth_client, user):
    task = TaskFactory(user=user, tags=["home"])

    response = auth_client.patch(task_url(task), {"tags": []}, format="json")

    assert response.json()["data"]["tags"] == []
    assert linked_names(task) == []


def test_patching_the_tags_a_task_has_writes_nothing(auth_client, user):
    task = TaskFactory(user=user, tags=["home", "work"])

    response = auth_client.patch(task_url(task), {"tags": ["WORK", "home"]}, format="json")

    assert response.json()["data"]["version"] == 1
    assert response.json()["data"]["tags"] == ["home", "work"]


def test_replacing_a_task_without_tags_clears_them(auth_client, user):
    task = TaskFactory(user=user, tags=["home"])

    response = auth_client.put(task_url(task), {"title": "Again"}, format="json")

    assert response.json()["data"]["tags"] == []
    assert linked_names(task) == []


def test_a_write_refused_by_if_match_creates_no_tag(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.patch(
        task_url(task), {"tags": ["brand-new"]}, format="json", HTTP_IF_MATCH='"stale.9"'
    )

    assert response.status_code == 412
    assert tag_names(user) == []


def test_a_change_of_tags_changes_the_etag_and_reaches_the_changes_feed(auth_client, user):
    task = TaskFactory(user=user)
    etag = auth_client.get(task_url(task)).headers["ETag"]
    cursor = auth_client.get(f"{tasks_url(user)}/changes").json()["data"]["next_cursor"]

    patched = auth_client.patch(task_url(task), {"tags": ["home"]}, format="json")
    changes = auth_client.get(f"{tasks_url(user)}/changes", {"since": cursor}).json()["data"]

    assert patched.headers["ETag"] != etag
    assert [(t["id"], t["tags"]) for t in changes["tasks"]] == [(str(task.pk), ["home"])]


def test_every_answer_that_shows_a_task_shows_its_tags(auth_client, user):
    created = auth_client.post(
        tasks_url(user),
        {"title": "x", "tags": ["home"], "priority": "low"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="one",
    )
    replayed = auth_client.post(
        tasks_url(user),
        {"title": "x", "tags": ["home"], "priority": "low"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="one",
    )
    task_id = created.json()["data"]["id"]

    shown = [
        created.json()["data"],
        replayed.json()["data"],
        auth_client.get(f"{tasks_url(user)}/{task_id}").json()["data"],
        auth_client.get(tasks_url(user)).json()["data"]["items"][0],
        auth_client.get(f"{tasks_url(user)}/changes").json()["data"]["tasks"][0],
    ]

    assert [(item["tags"], item["priority"]) for item in shown] == [(["home"], "low")] * 5


def test_deleting_a_task_takes_it_off_its_tags_counts(auth_client, user):
    task = TaskFactory(user=user, tags=["home"])

    auth_client.delete(task_url(task))

    assert TaskTag.objects.count() == 0
    assert tag_names(user) == ["home"]


# --- Listing by tag -------------------------------------------------------------------------


@pytest.fixture
def tagged(user) -> None:
    TaskFactory(user=user, title="a", tags=["Work"])
    TaskFactory(user=user, title="b", tags=["work", "errands"])
    TaskFactory(user=user, title="c", tags=["errands"])
    TaskFactory(user=user, title="d")
    TaskFactory(user=user, title="e", tags=["work", "errands"], completed=True)


def test_tag_lists_the_tasks_carrying_it_whatever_the_case(auth_client, user, tagged):
    response = auth_client.get(tasks_url(user), {"tag": "WORK", "sort": "title"})

    assert titles(response) == ["a", "b", "e"]
    assert response.json()["data"]["pagination"]["total"] == 3


def test_several_tags_list_the_tasks_carrying_every_one(auth_client, user, tagged):
    response = auth_client.get(tasks_url(user), {"tag": "work,errands", "sort": "title"})

    assert titles(response) == ["b", "e"]
    assert response.json()["data"]["pagination"]["total"] == 2


def test_tag_combines_with_the_other_filters(auth_client, user, tagged):
    response = auth_client.get(tasks_url(user), {"tag": "work", "status": "pending"})

    assert sorted(titles(response)) == ["a", "b"]
    assert response.json()["data"]["pagination"]["total"] == 2


def test_an_unknown_tag_gives_an_empty_page_not_an_error(auth_client, user, tagged):
    response = auth_client.get(tasks_url(user), {"tag": "holidays"})

    assert response.status_code == 200
    assert response.json()["data"]["items"] == []
    assert response.json()["data"]["pagination"]["total"] == 0


def test_a_deleted_task_leaves_the_tag_filter_and_its_total(auth_client, user, tagged):
    auth_client.delete(task_url(Task.objects.get(title="a")))

    response = auth_client.get(tasks_url(user), {"tag": "work", "sort": "title"})

    assert titles(response) == ["b", "e"]
    assert response.json()["data"]["pagination"]["total"] == 2


def test_another_users_tag_of_the_same_name_does_not_match(auth_client, user, other_user, tagged):
    TaskFactory(user=other_user, title="theirs", tags=["work"])

    response = auth_client.get(tasks_url(user), {"tag": "work", "sort": "title"})

    assert titles(response) == ["a", "b", "e"]


@pytest.mark.parametrize("value", [",", "work,", "a" * 51, ",".join(f"t{n}" for n in range(21))])
def test_a_malformed_tag_filter_is_a_422_naming_the_parameter(auth_client, user, value):
    response = auth_client.get(tasks_url(user), {"tag": value})

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["tag"]


def test_a_cursor_walks_a_tag_filtered_list(auth_client, user, tagged):
    first = auth_client.get(tasks_url(user), {"tag": "work", "limit": 2}).json()["data"]
    rest = auth_client.get(
        tasks_url(user), {"tag": "work", "limit": 2, "cursor": first["pagination"]["next_cursor"]}
    ).json()["data"]

    walked = [item["title"] for item in first["items"] + rest["items"]]
    assert sorted(walked) == ["a", "b", "e"]
    assert rest["pagination"]["next_cursor"] is None


# --- Where the tag order is computed ----------------------------------------------------------


def test_python_and_the_database_put_tags_in_the_same_order(user):
    """A task write orders its tags in Python; a tag's rename has the database order them.
    Both go by the key, code point by code point."""
    names = ["b", "A", "é", "E", "Z", "_x", "ß", "10", "9", "Ä", "日本", "ǅ", "ﬁle"]
    task = TaskFactory(user=user, tags=names)
    written_by_python = task.tags

    Task.objects.filter(pk=task.pk).respell_tags()
    task.refresh_from_db()

    assert task.tags == written_by_python
    assert sorted(written_by_python, key=lambda name: Tag.objects.get(name=name).name_key) == (
        written_by_python
    )


def test_a_task_written_by_sql_reads_the_same_as_one_written_by_python(auth_client, user):
    """SQLite compares JSON as text: a PATCH of the same tags after a rename is no change."""
    task = TaskFactory(user=user, tags=["straße", "home"])
    Task.objects.filter(pk=task.pk).respell_tags()
    task.refresh_from_db()

    response = auth_client.patch(task_url(task), {"tags": ["straße", "home"]}, format="json")

    assert response.json()["data"]["version"] == task.version


def test_a_tag_created_on_its_own_is_used_by_a_task_naming_it(auth_client, user):
    TagFactory(user=user, name="Garden")

    response = auth_client.post(tasks_url(user), {"title": "x", "tags": ["garden"]}, format="json")

    assert response.json()["data"]["tags"] == ["Garden"]


# --- Links follow the names, whatever writes the task -----------------------------------------


def test_links_follow_a_bulk_update_of_names_and_go_with_deleted_tasks(user):
    home, work = (Tag.objects.create(user=user, name=name) for name in ("home", "work"))
    tasks = [TaskFactory(user=user) for _ in range(6)]
    ids = [task.pk for task in tasks]

    Task.objects.filter(pk__in=ids).update(tags=["home", "work"])
    both = TaskTag.objects.filter(task_id__in=ids).count()
    Task.objects.filter(pk__in=ids[:3]).update(tags=["work"])
    Task.objects.filter(pk__in=ids[3:4]).delete_as_tombstones()
    Task.objects.filter(pk__in=ids[4:5]).delete()

    assert both == 12
    assert TaskTag.objects.filter(tag=home).count() == 1  # ids[5]
    assert TaskTag.objects.filter(tag=work).count() == 4  # ids[0:3] and ids[5]
    assert set(TaskTag.objects.values_list("task_id", flat=True)) == {*ids[:3], ids[5]}


def test_deleting_a_user_with_tagged_tasks_deletes_everything_of_theirs(auth_client, user):
    TaskFactory(user=user, tags=["home", "work"])

    user.delete()

    assert not Task.objects.exists()
    assert not Tag.objects.exists()
    assert not TaskTag.objects.exists()


def test_a_name_whose_case_folded_form_is_long_is_still_one_tag(auth_client, user):
    """U+FDFA is one character that NFKC spells as 18: fifty of them make a 900-letter key."""
    name = "\ufdfa" * 50

    first = auth_client.post(tasks_url(user), {"title": "x", "tags": [name]}, format="json")
    again = auth_client.post(tasks_url(user), {"title": "y", "tags": [name]}, format="json")

    assert (first.status_code, again.status_code) == (201, 201)
    assert tag_names(user) == [name]
