"""The benchmark's setup, without timed load: seeding, the floor's fairness, the wrk script.

The floor is only a fair yardstick if it answers exactly what the product answers; these
tests compare the two on the same seeded data, on SQLite and PostgreSQL alike.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from bench.in_process import (
    UnexpectedResponse,
    check_floor_agrees,
    check_same_items,
    queries_per_request,
)
from bench.load import REQUESTS_SCRIPT
from bench.scenarios import (
    DEEP_PAGE,
    DEEP_WALK,
    FLOOR_PREFIX,
    BenchRequest,
    Scenario,
    bench_user,
    build_scenarios,
)
from bench.seed import SeedPlan, seed
from tasks.models import Task, TaskLedger

pytestmark = pytest.mark.urls("bench.floor_urls")

PLAN = SeedPlan(users=3, tasks_per_user=30, heavy_user_tasks=40)


@pytest.fixture
def seeded(db):
    return seed(PLAN)


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def test_seed_writes_the_planned_users_and_consistent_tasks(seeded):
    assert User.objects.count() == PLAN.users + 1
    assert Task.objects.filter(user=seeded.heavy).count() == PLAN.heavy_user_tasks
    for user in seeded.ordinary:
        assert Task.objects.filter(user=user).count() == PLAN.tasks_per_user
    assert not Task.objects.filter(completed=True, completed_at__isnull=True).exists()
    assert not Task.objects.filter(completed=False, completed_at__isnull=False).exists()
    assert Task.objects.filter(completed=True).exists()
    assert Task.objects.filter(description__isnull=True).exists()
    assert Task.objects.filter(due_date__isnull=True).exists()
    assert seeded.heavy.check_password("bench-password-not-a-secret")


@pytest.mark.parametrize("query", ["limit=20", "limit=7&offset=5", "offset=200"])
def test_floor_list_answers_what_the_product_answers(seeded, client, query):
    user = bench_user(seeded.ordinary[0])
    product = client.get(f"/api/{user.id}/tasks?{query}", headers=bearer(user))
    floor = client.get(f"/floor/api/{user.id}/tasks?{query}", headers=bearer(user))
    assert product.status_code == floor.status_code == 200
    assert floor["Content-Type"] == "application/json"
    assert floor.json() == product.json()


def test_floor_list_page_is_the_products_first_page(seeded, client):
    user = bench_user(seeded.heavy)
    body = client.get(f"/floor/api/{user.id}/tasks?limit=3", headers=bearer(user)).json()
    assert body["error"] is None
    pagination = body["data"]["pagination"]
    assert (pagination["limit"], pagination["offset"]) == (3, 0)
    assert (pagination["total"], pagination["has_more"]) == (PLAN.heavy_user_tasks, True)
    newest = Task.objects.filter(user_id=user.id).order_by("-created_at", "-id")[:3]
    assert [item["id"] for item in body["data"]["items"]] == [str(task.id) for task in newest]


def test_floor_retrieve_answers_what_the_product_answers(seeded, client):
    user = bench_user(seeded.ordinary[1])
    completed = Task.objects.filter(user_id=user.id, completed=True).first()
    for task_id in [*user.read_task_ids, completed.id]:
        product = client.get(f"/api/{user.id}/tasks/{task_id}", headers=bearer(user))
        floor = client.get(f"/floor/api/{user.id}/tasks/{task_id}", headers=bearer(user))
        assert product.status_code == floor.status_code == 200
        assert floor.json() == product.json()


def test_floor_refuses_what_the_product_refuses(seeded, client):
    user, other = bench_user(seeded.ordinary[0]), bench_user(seeded.ordinary[1])
    list_path = f"/floor/api/{user.id}/tasks"
    assert client.get(list_path).status_code == 401
    assert client.get(list_path, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    assert client.get(list_path, headers=bearer(other)).status_code == 403
    other_task = f"/floor/api/{user.id}/tasks/{other.read_task_ids[0]}"
    assert client.get(other_task, headers=bearer(user)).status_code == 404


def test_floor_title_change_answers_the_task_the_product_then_reads(seeded, client):
    user = bench_user(seeded.ordinary[0])
    path = f"/api/{user.id}/tasks/{user.read_task_ids[0]}"
    before = client.get(path, headers=bearer(user)).json()["data"]

    floor = client.patch(
        FLOOR_PREFIX + path, {"title": "  Renamed  "}, "application/json", headers=bearer(user)
    )

    product = client.get(path, headers=bearer(user))
    assert floor.status_code == product.status_code == 200
    assert floor.json() == product.json()
    assert floor.json()["data"] == {
        **before,
        "title": "Renamed",
        "version": before["version"] + 1,
        "updated_at": floor.json()["data"]["updated_at"],
    }
    assert floor.json()["data"]["updated_at"] > before["updated_at"]


def test_floor_title_change_refuses_what_the_product_refuses(seeded, client):
    user, other = bench_user(seeded.ordinary[0]), bench_user(seeded.ordinary[1])
    path = f"{FLOOR_PREFIX}/api/{user.id}/tasks/{user.read_task_ids[0]}"

    def patch(task_path: str, body: str, headers: dict) -> int:
        return client.patch(task_path, body, "application/json", headers=headers).status_code

    assert patch(path, '{"title": "x"}', {}) == 401
    assert patch(path, '{"title": "   "}', bearer(user)) == 422
    assert patch(path, '{"title": 5}', bearer(user)) == 422
    assert patch(path, json.dumps({"title": "x" * 256}), bearer(user)) == 422
    assert patch(path, "[]", bearer(user)) == 422
    assert patch(path, "not json", bearer(user)) == 422
    other_task = f"{FLOOR_PREFIX}/api/{user.id}/tasks/{other.read_task_ids[0]}"
    assert patch(other_task, '{"title": "x"}', bearer(user)) == 404
    assert Task.objects.get(pk=other.read_task_ids[0]).version == 1


CREATE_BODY = {
    "title": "  Floor task  ",
    "description": "Written by the floor.",
    "due_date": "2030-01-31T17:00:00Z",
}


def statements_into(statements: list[str]):
    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def statement_shape(sql: str) -> str:
    """An INSERT without its values: the table, the columns and the RETURNING clause."""
    head, _, rest = sql.partition(" VALUES ")
    return head + " RETURNING " + rest.rpartition(" RETURNING ")[2]


def test_floor_create_sends_the_products_insert_and_answers_the_task_it_then_reads(seeded):
    user = bench_user(seeded.ordinary[0])
    client = Client(headers=bearer(user))
    path = f"/api/{user.id}/tasks"
    total_before = TaskLedger.objects.get(user_id=user.id).total

    floor_queries, product_queries = [], []
    # Django's request_started signal clears connection.queries, so each statement is caught
    # on its way to the database instead.
    with connection.execute_wrapper(statements_into(floor_queries)):
        floor = client.post(FLOOR_PREFIX + path, CREATE_BODY, "application/json")
    with connection.execute_wrapper(statements_into(product_queries)):
        product = client.post(path, CREATE_BODY, "application/json")

    assert floor.status_code == product.status_code == 201
    created = floor.json()["data"]
    assert client.get(f"{path}/{created['id']}").json() == floor.json()
    assert created == {
        **product.json()["data"],
        "id": created["id"],
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    assert created["title"] == "Floor task"
    (floor_insert,) = floor_queries
    (product_insert,) = product_queries
    assert floor_insert.startswith('INSERT INTO "tasks_task"')
    assert statement_shape(floor_insert) == statement_shape(product_insert)
    # The ledger's triggers ran for both.
    assert TaskLedger.objects.get(user_id=user.id).total == total_before + 2


def test_floor_create_refuses_what_the_product_refuses(seeded):
    user, other = bench_user(seeded.ordinary[0]), bench_user(seeded.ordinary[1])
    path = f"{FLOOR_PREFIX}/api/{user.id}/tasks"
    client = Client()
    before = Task.objects.count()

    def post(body: str, headers: dict) -> int:
        return client.post(path, body, "application/json", headers=headers).status_code

    assert post('{"title": "x"}', {}) == 401
    assert post('{"title": "x"}', bearer(other)) == 403
    assert post('{"title": "   "}', bearer(user)) == 422
    assert post('{"title": 5}', bearer(user)) == 422
    assert post(json.dumps({"title": "x" * 256}), bearer(user)) == 422
    assert post('{"title": "x", "description": 5}', bearer(user)) == 422
    assert post(json.dumps({"title": "x", "description": "d" * 2001}), bearer(user)) == 422
    assert post('{"title": "x", "due_date": "tomorrow"}', bearer(user)) == 422
    assert post('{"title": "x", "due_date": "2030-01-31T17:00:00"}', bearer(user)) == 422
    assert post("[]", bearer(user)) == 422
    assert Task.objects.count() == before


def test_every_scenario_succeeds_and_fits_the_wrk_script(seeded):
    users = [bench_user(user) for user in seeded.ordinary]
    scenarios = build_scenarios(users, bench_user(seeded.heavy, tasks_read=3), deep_position=15)
    assert len({scenario.name for scenario in scenarios}) == len(scenarios)
    floors = {scenario.name for scenario in scenarios if scenario.is_floor}
    for scenario in scenarios:
        assert set(scenario.floor_weights) <= floors
        assert scenario.is_floor or sum(scenario.floor_weights.values()) == pytest.approx(1)
        for request in scenario.requests:
            fields = request.line().split("\t")
            assert len(fields) == 4 and "\n" not in request.line()
        # What the benchmark does before timing: each kind of request must succeed...
        assert queries_per_request(scenario) >= 1
        # ...and the floor must agree with the product on the seeded data.
        if scenario.is_floor:
            check_floor_agrees(scenario)
    # The deep page reached by cursor is the deep page reached by offset.
    by_name = {scenario.name: scenario for scenario in scenarios}
    check_same_items(by_name[DEEP_WALK], by_name[DEEP_PAGE])


def test_the_floor_check_refuses_a_floor_that_answers_differently(seeded):
    user = bench_user(seeded.ordinary[0])
    # The floor reads only limit and offset, so it ignores this filter; the product does not.
    path = f"{FLOOR_PREFIX}/api/{user.id}/tasks?status=completed&limit=5"
    unfair = Scenario("unfair floor", "", [BenchRequest("list", "GET", path, user.token)], {})
    with pytest.raises(UnexpectedResponse, match=r"answer .* differently"):
        check_floor_agrees(unfair)


LUA_HARNESS = """
wrk = {
  format = function(method, path, headers, body)
    return table.concat({method, path, headers["Authorization"], body or "-"}, " ")
  end,
  thread = { stop = function(self) stopped = true end },
}
dofile(arg[1])
setup({ get = function(self, name) return _G[name] end })
init({ arg[2], "r1", "1", "3" })
for _ = 1, 4 do print(request()) end
response(200, {}, ""); response(404, {}, ""); response(201, {}, "")
print(stopped)
done(
  { requests = 3, duration = 2000000,
    errors = { connect = 1, read = 0, write = 0, status = 1, timeout = 2 } },
  { mean = 1500.5, max = 9000, percentile = function(self, p) return p * 10 end },
  {}
)
"""


@pytest.mark.skipif(shutil.which("luajit") is None, reason="needs luajit (wrk's Lua) on PATH")
def test_wrk_script_replays_requests_and_reports_json(tmp_path: Path):
    requests_file = tmp_path / "requests.tsv"
    requests_file.write_text(
        "GET\t/api/u/tasks\ttoken-a\t\n"
        'PATCH\t/api/u/tasks/t/complete\ttoken-b\t{"completed": $toggle, "n": $n, "r": "$run"}\n'
    )
    harness = tmp_path / "harness.lua"
    harness.write_text(LUA_HARNESS)
    output = subprocess.run(
        ["luajit", str(harness), str(REQUESTS_SCRIPT), str(requests_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    # The run starts at request 1 (FIRST), where an earlier run of the file stopped.
    assert output[:6] == [
        'PATCH /api/u/tasks/t/complete Bearer token-b {"completed": true, "n": 2, "r": "r1"}',
        "GET /api/u/tasks Bearer token-a -",
        'PATCH /api/u/tasks/t/complete Bearer token-b {"completed": false, "n": 4, "r": "r1"}',
        "GET /api/u/tasks Bearer token-a -",
        "BENCH_STOPPED",
        "true",
    ]
    prefix, _, result = output[6].partition(" ")
    assert prefix == "BENCH_RESULT"
    assert json.loads(result) == {
        "requests": 3,
        "sent": 5,
        "duration_us": 2000000,
        "non_2xx": 1,
        "socket_errors": 1,
        "timeouts": 2,
        "latency_us": {"mean": 1500.5, "p50": 500, "p95": 950, "p99": 990, "max": 9000},
    }


def test_wrk_script_defines_the_hooks_wrk_calls():
    script = REQUESTS_SCRIPT.read_text()
    for hook in ("setup(thread)", "init(args)", "request()", "response(status", "done(summary"):
        assert f"function {hook}" in script
