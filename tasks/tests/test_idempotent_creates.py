"""POST with an Idempotency-Key: a retry gets the first answer and creates nothing."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import bearer_client
from tasks.models import IdempotentRequest, Task


def create(client, user, body, key):
    return client.post(f"/api/{user.pk}/tasks", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(auth_client, user):
    first = create(auth_client, user, {"title": "Pay rent", "completed": False}, "rent-2026-12")
    retry = create(auth_client, user, {"completed": False, "title": "Pay rent"}, "rent-2026-12")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Location"] == first["Location"]
    assert retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Task.objects.filter(user=user).count() == 1


def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(auth_client, user):
    create(auth_client, user, {"title": "Pay rent"}, "k1")

    response = create(auth_client, user, {"title": "Pay the rent"}, "k1")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "Idempotency-Key": ["This key was already used with a different request body."]
    }
    assert Task.objects.filter(user=user).count() == 1


def test_keys_belong_to_one_user(auth_client, other_client, user, other_user):
    mine = create(auth_client, user, {"title": "Same"}, "shared-key")
    theirs = create(other_client, other_user, {"title": "Same"}, "shared-key")

    assert mine.json()["data"]["id"] != theirs.json()["data"]["id"]
    assert not theirs.has_header("Idempotent-Replayed")


def test_a_failed_create_does_not_spend_the_key(auth_client, user):
    failed = create(auth_client, user, {"title": ""}, "k2")
    fixed = create(auth_client, user, {"title": ""}, "k2")

    assert failed.status_code == fixed.status_code == 422
    assert not IdempotentRequest.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_a_422(auth_client, user, key):
    response = auth_client.post(
        f"/api/{user.pk}/tasks",
        {"title": "t"},
        format="json",
        headers={"Idempotency-Key": key},
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["Idempotency-Key"]
    assert not Task.objects.exists()


def test_a_key_older_than_a_day_is_forgotten(auth_client, user):
    first = create(auth_client, user, {"title": "Water plants"}, "weekly")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = create(auth_client, user, {"title": "Water plants"}, "weekly")

    assert again.status_code == 201
    assert again.json()["data"]["id"] != first.json()["data"]["id"]


def test_purge_expired_removes_keys_older_than_a_day(auth_client, user):
    create(auth_client, user, {"title": "old"}, "old")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    create(auth_client, user, {"title": "new"}, "new")

    call_command("purge_expired")

    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_exactly_one_task(user):
    barrier = threading.Barrier(6)
    answers = []

    def post():
        client = bearer_client(user)
        try:
            barrier.wait()
            answers.append(create(client, user, {"title": "Once"}, "once"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Task.objects.filter(user=user).count() == 1
    assert {response.status_code for response in answers} == {201}
    assert len({response.json()["data"]["id"] for response in answers}) == 1
    assert sum(response.has_header("Idempotent-Replayed") for response in answers) == 5
