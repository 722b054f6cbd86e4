"""Requests sent in this process with Django's test client, before any timing: the SQL each
kind of request runs, and a check that the floor answers what the product answers.

They go through the whole middleware stack against the bench database, as gunicorn would
send them.
"""

import time

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.scenarios import FLOOR_PREFIX, BenchRequest, Scenario


class UnexpectedResponse(RuntimeError):
    """A request failed, or the floor and the product disagree; timing them would mislead."""


def send(request: BenchRequest, *, sequence: int = 0, toggle: bool = True) -> HttpResponse:
    """Sends the request with its body's `$n` and `$toggle` filled in; raises
    UnexpectedResponse unless it succeeds."""
    response = Client(headers={"Host": "127.0.0.1"}).generic(
        request.method,
        request.path,
        data=request.resolved_body(sequence, toggle) or "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {request.token}"},
    )
    if not 200 <= response.status_code < 300:
        raise UnexpectedResponse(
            f"{request.method} {request.path}: {response.status_code} {response.content[:500]!r}"
        )
    return response


def executed_sql(request: BenchRequest, *, sequence: int = 0, toggle: bool = True) -> list[str]:
    """The statements Django executes for the request, with their parameters in place;
    transaction control (BEGIN, COMMIT, savepoints) included, as each is a round trip."""
    with CaptureQueriesContext(connection) as captured:
        send(request, sequence=sequence, toggle=toggle)
    return [query["sql"] for query in captured.captured_queries]


def check_floor_agrees(floor: Scenario) -> None:
    """The floor scenario's first request and the product's same read answer the same JSON:
    the floor is a fair yardstick on this data, not an empty or stale answer. A floor write
    is compared with the product's read of the task it wrote."""
    request = floor.requests[0]
    product_path = request.path.removeprefix(FLOOR_PREFIX)
    floor_body = send(request).json()
    if request.method == "POST":
        # The create floor's task, as the product then reads it.
        product_path += f"/{floor_body['data']['id']}"
    product_body = send(BenchRequest(request.kind, "GET", product_path, request.token)).json()
    if floor_body != product_body:
        raise UnexpectedResponse(
            f"{floor.name}: the floor and the product answer {request.path} differently:\n"
            f"floor:   {str(floor_body)[:600]}\nproduct: {str(product_body)[:600]}"
        )


def check_same_items(scenario: Scenario, other: Scenario) -> None:
    """Both scenarios' first requests answer the same tasks (a page by cursor against the
    same page by offset, say), so comparing their speed is fair."""
    items = [send(each.requests[0]).json()["data"]["items"] for each in (scenario, other)]
    if items[0] != items[1] or not items[0]:
        raise UnexpectedResponse(
            f"{scenario.name} and {other.name} answer different (or no) tasks:\n"
            f"{str(items[0])[:300]}\n{str(items[1])[:300]}"
        )


def queries_per_request(scenario: Scenario) -> float:
    """The scenario's mean: each kind of request counted once, weighted by its share.

    Each is counted warm, as under load: sent once first, since the product may keep
    per-process caches (a user's active flag, say), then counted. The two sends differ: a
    title no earlier run used, so both really write, and `$toggle` true then false, so a
    completion flips twice and leaves its task as wrk expects to find it.
    """
    sequence = time.time_ns()
    counts: dict[str, int] = {}
    for request in scenario.requests:
        if request.kind not in counts:
            send(request, sequence=sequence, toggle=True)
            counted = executed_sql(request, sequence=sequence + 1, toggle=False)
            counts[request.kind] = len(counted)
    return sum(counts[request.kind] for request in scenario.requests) / len(scenario.requests)
