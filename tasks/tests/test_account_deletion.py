"""Deleting an account takes every row of the user's tasks with it, and nothing of others'."""

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, SuperuserFactory
from tasks.models import IdempotentRequest, Task, TaskLedger
from tasks.tests.factories import TaskFactory


def holdings(user) -> dict[str, int]:
    return {
        "tasks": Task.objects.owned_by(user.pk).live().count(),
        "tombstones": Task.objects.owned_by(user.pk).filter(deleted_at__isnull=False).count(),
        "ledger": TaskLedger.objects.owned_by(user.pk).count(),
        "idempotency records": IdempotentRequest.objects.owned_by(user.pk).count(),
    }


def give_everything(client, user) -> None:
    """Live tasks, a tombstone, a ledger and an idempotency record."""
    TaskFactory.create_batch(3, user=user)
    client.post(
        f"/api/{user.pk}/tasks", {"title": "kept once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    doomed = TaskFactory(user=user)
    client.delete(f"/api/{user.pk}/tasks/{doomed.pk}")


def test_deleting_an_account_deletes_tasks_tombstones_ledger_and_idempotency_records(
    auth_client, user, other_client, other_user
):
    give_everything(auth_client, user)
    give_everything(other_client, other_user)
    assert holdings(user) == {
        "tasks": 4,
        "tombstones": 1,
        "ledger": 1,
        "idempotency records": 1,
    }

    response = auth_client.delete("/api/auth/me", {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 204
    assert holdings(user) == {"tasks": 0, "tombstones": 0, "ledger": 0, "idempotency records": 0}
    assert holdings(other_user) == {
        "tasks": 4,
        "tombstones": 1,
        "ledger": 1,
        "idempotency records": 1,
    }
    assert TaskLedger.objects.get(user=other_user).total == 4


def test_a_wrong_password_deletes_none_of_the_users_tasks(auth_client, user):
    give_everything(auth_client, user)

    response = auth_client.delete("/api/auth/me", {"password": "wrong"}, format="json")

    assert response.status_code == 422
    assert holdings(user)["tasks"] == 4


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(SuperuserFactory(email="root@example.com", name="Root"))
    return client


def test_the_admins_confirmation_counts_the_users_tasks_instead_of_listing_them(
    admin_client, auth_client, user
):
    give_everything(auth_client, user)

    page = admin_client.get(f"/admin/accounts/user/{user.pk}/delete/")

    assert dict(page.context["model_count"]) == {
        "users": 1,
        "tasks": 5,
        "idempotent requests": 1,
        "task ledgers": 1,
    }
    assert "5 tasks" in page.content.decode()
    assert "/admin/tasks/task/" + "" not in page.content.decode().split("<h2>Objects</h2>")[-1]


def test_the_admin_deletes_a_user_with_everything_of_theirs(admin_client, auth_client, user):
    give_everything(auth_client, user)

    admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert holdings(user) == {"tasks": 0, "tombstones": 0, "ledger": 0, "idempotency records": 0}
