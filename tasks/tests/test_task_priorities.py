"""A task's priority: low, medium or high; medium unless said; filtered and sorted by meaning."""

import pytest

from tasks.models import Task
from tasks.tests.factories import TaskFactory


def tasks_url(user) -> str:
    return f"/api/{user.pk}/tasks"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.pk}"


def titles(response) -> list[str]:
    return [item["title"] for item in response.json()["data"]["items"]]


def test_a_new_task_is_of_medium_priority_unless_said(auth_client, user):
    plain = auth_client.post(tasks_url(user), {"title": "Plain"}, format="json")
    urgent = auth_client.post(
        tasks_url(user), {"title": "Urgent", "priority": "high"}, format="json"
    )

    assert plain.json()["data"]["priority"] == "medium"
    assert urgent.json()["data"]["priority"] == "high"
    assert Task.objects.get(title="Urgent").priority == "high"


@pytest.mark.parametrize("value", ["urgent", "HIGH", "", 3, True, None, ["high"]])
def test_a_priority_other_than_low_medium_or_high_is_a_422(auth_client, user, value):
    response = auth_client.post(tasks_url(user), {"title": "x", "priority": value}, format="json")

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["priority"]
    assert not Task.objects.exists()


def test_patching_the_priority_changes_the_task_and_its_etag(auth_client, user):
    task = TaskFactory(user=user)
    etag = auth_client.get(task_url(task)).headers["ETag"]

    response = auth_client.patch(task_url(task), {"priority": "low"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["priority"] == "low"
    assert response.json()["data"]["version"] == 2
    assert response.headers["ETag"] != etag


def test_patching_priority_null_is_a_422_since_a_task_always_has_one(auth_client, user):
    task = TaskFactory(user=user, priority="high")

    response = auth_client.patch(task_url(task), {"priority": None}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"priority": ["This field may not be null."]}
    task.refresh_from_db()
    assert (task.priority, task.version) == ("high", 1)


def test_replacing_a_task_without_a_priority_makes_it_medium(auth_client, user):
    task = TaskFactory(user=user, priority="high")

    response = auth_client.put(task_url(task), {"title": "Again"}, format="json")

    assert response.json()["data"]["priority"] == "medium"


def test_the_changes_feed_reports_a_change_of_priority(auth_client, user):
    task = TaskFactory(user=user)
    cursor = auth_client.get(f"{tasks_url(user)}/changes").json()["data"]["next_cursor"]

    auth_client.patch(task_url(task), {"priority": "high"}, format="json")
    changes = auth_client.get(f"{tasks_url(user)}/changes", {"since": cursor}).json()["data"]

    assert [(t["id"], t["priority"]) for t in changes["tasks"]] == [(str(task.pk), "high")]


@pytest.fixture
def prioritized(user) -> dict[str, Task]:
    return {
        title: TaskFactory(user=user, title=title, priority=priority)
        for title, priority in [
            ("a", "low"),
            ("b", "high"),
            ("c", "medium"),
            ("d", "high"),
            ("e", "low"),
        ]
    }


def test_priority_filters_by_one_level_or_any_of_several(auth_client, user, prioritized):
    high = auth_client.get(tasks_url(user), {"priority": "high", "sort": "title"})
    high_or_low = auth_client.get(tasks_url(user), {"priority": "high, low", "sort": "title"})

    assert titles(high) == ["b", "d"]
    assert high.json()["data"]["pagination"]["total"] == 2
    assert titles(high_or_low) == ["a", "b", "d", "e"]


@pytest.mark.parametrize("value", ["urgent", "high,", "high,,low", "HIGH"])
def test_a_priority_filter_naming_no_level_is_a_422_naming_the_parameter(auth_client, user, value):
    response = auth_client.get(tasks_url(user), {"priority": value})

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["priority"]


def test_an_empty_priority_filter_filters_nothing(auth_client, user, prioritized):
    assert len(titles(auth_client.get(tasks_url(user), {"priority": ""}))) == 5


def test_sorting_by_priority_goes_by_meaning_with_ties_broken_by_id(auth_client, user, prioritized):
    def by_id(*names):
        return sorted(names, key=lambda name: prioritized[name].pk)

    ascending = auth_client.get(tasks_url(user), {"sort": "priority"})
    descending = auth_client.get(tasks_url(user), {"sort": "-priority"})

    assert titles(ascending) == [*by_id("a", "e"), "c", *by_id("b", "d")]
    assert titles(descending) == [*reversed(by_id("b", "d")), "c", *reversed(by_id("a", "e"))]


@pytest.mark.parametrize("sort", ["priority", "-priority"])
def test_a_cursor_walks_a_priority_sort_page_by_page(auth_client, user, sort):
    for n in range(9):
        TaskFactory(user=user, title=f"t{n}", priority=["low", "medium", "high"][n % 3])
    whole = titles(auth_client.get(tasks_url(user), {"sort": sort, "limit": 100}))

    walked, params = [], {"sort": sort, "limit": 2}
    while True:
        page = auth_client.get(tasks_url(user), params).json()["data"]
        walked += [item["title"] for item in page["items"]]
        if not page["pagination"]["next_cursor"]:
            break
        params = {"sort": sort, "limit": 2, "cursor": page["pagination"]["next_cursor"]}

    assert walked == whole
    assert len(whole) == 9
