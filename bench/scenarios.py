"""The benchmark's scenarios: which requests each one replays, and which floor it is held to.

A scenario is a list of concrete requests that wrk replays round and round (bench/requests.lua),
rotating over 200 users where the scenario is about many users. Bodies may hold `$run` (a tag
of the wrk run), `$n` (the request's sequence number in the run) and `$toggle` (true, then false
on the next pass), so every write changes something: a title written in one run (the
warm-up, or the write floor's) is never written again in the next, where it would be a
no-op.
"""

import json
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from bench.seed import BENCH_TAG, SEARCH_WORD
from tasks.models import Task
from tasks.pagination import TaskCursor

PAGE_SIZE = 20
# The floor answers the product's paths under this prefix (bench/floor_urls.py).
FLOOR_PREFIX = "/floor"
DEEP_OFFSET = 50_000
DEEP_PAGE = "heavy deep page"
DEEP_WALK = "heavy deep walk by cursor"
# Each ordinary user lends this many tasks to each kind of write, so no two requests of one
# pass touch the same task (and rows are not locked against each other).
TASKS_PER_USE = 5
HEAVY_USER_TASKS_READ = 200
MIX_LENGTH = 1000
# The mix: 80% reads, 20% writes.
MIX_WEIGHTS = {"list": 40, "retrieve": 40, "create": 5, "update title": 10, "complete toggle": 5}


@dataclass(frozen=True)
class BenchRequest:
    kind: str
    method: str
    path: str
    token: str
    body: str | None = None

    def line(self) -> str:
        """The request as a line of the file bench/requests.lua reads."""
        return "\t".join([self.method, self.path, self.token, self.body or ""])

    def resolved_body(self, sequence: int, toggle: bool, run: str = "in-process") -> str | None:
        """The body as wrk sends it for the given sequence number, pass and run."""
        if self.body is None:
            return None
        return (
            self.body.replace("$run", run)
            .replace("$n", str(sequence))
            .replace("$toggle", json.dumps(toggle))
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    requests: list[BenchRequest]
    # The floor scenarios this one is held to, by share of its requests: reads to the floor's
    # same read, creates to the create floor, PATCH and /complete to the write floor (issue
    # 16: a durable write cannot be held to a read); the mix to the read floors by share.
    # Empty for the floor's own.
    floor_weights: dict[str, float]

    @property
    def is_floor(self) -> bool:
        return not self.floor_weights

    def write_requests(self, path: Path) -> None:
        path.write_text("".join(request.line() + "\n" for request in self.requests))


@dataclass(frozen=True)
class BenchUser:
    """A seeded user with a valid access token and tasks set aside for each use."""

    id: uuid.UUID
    token: str
    read_task_ids: list[uuid.UUID]
    toggle_task_ids: list[uuid.UUID]
    mix_toggle_task_ids: list[uuid.UUID]


def bench_user(user: User, tasks_read: int = TASKS_PER_USE) -> BenchUser:
    """Mints the user's token and picks pending tasks (by id, so effectively at random)."""
    pending = list(
        Task.objects.filter(user=user, completed=False)
        .order_by("id")
        .values_list("id", flat=True)[: tasks_read + 2 * TASKS_PER_USE]
    )
    return BenchUser(
        id=user.id,
        token=str(AccessToken.for_user(user)),
        read_task_ids=pending[:tasks_read],
        toggle_task_ids=pending[tasks_read : tasks_read + TASKS_PER_USE],
        mix_toggle_task_ids=pending[tasks_read + TASKS_PER_USE :],
    )


def cursor_at(user: BenchUser, position: int) -> str:
    """The product's own `next_cursor` for the page that starts at `position` of the user's
    list in its default order, as a client that walked there page by page would hold it."""
    before = (
        Task.objects.live()
        .filter(user_id=user.id)
        .order_by("-created_at", "-id")
        .values("id", "created_at")[position - 1]
    )
    return TaskCursor.after("-created_at", before)


def list_request(user: BenchUser, query: str, prefix: str = "") -> BenchRequest:
    return BenchRequest("list", "GET", f"{prefix}/api/{user.id}/tasks?{query}", user.token)


def retrieve_request(user: BenchUser, task_id: uuid.UUID, prefix: str = "") -> BenchRequest:
    return BenchRequest("retrieve", "GET", f"{prefix}/api/{user.id}/tasks/{task_id}", user.token)


def create_request(user: BenchUser, prefix: str = "") -> BenchRequest:
    body = {
        "title": "Benchmark task $n",
        "description": "Written by the benchmark.",
        "due_date": "2030-01-31T17:00:00Z",
    }
    path = f"{prefix}/api/{user.id}/tasks"
    return BenchRequest("create", "POST", path, user.token, json.dumps(body))


def update_title_request(user: BenchUser, task_id: uuid.UUID, prefix: str = "") -> BenchRequest:
    path = f"{prefix}/api/{user.id}/tasks/{task_id}"
    body = json.dumps({"title": "Renamed task $run-$n"})
    return BenchRequest("update title", "PATCH", path, user.token, body)


def complete_request(user: BenchUser, task_id: uuid.UUID) -> BenchRequest:
    path = f"/api/{user.id}/tasks/{task_id}/complete"
    return BenchRequest("complete toggle", "PATCH", path, user.token, '{"completed": $toggle}')


def across_users(
    users: list[BenchUser], per_user: Callable[[BenchUser, int], BenchRequest]
) -> list[BenchRequest]:
    """per_user(user, k) for k-th round, user after user, so consecutive requests differ."""
    return [per_user(user, k) for k in range(TASKS_PER_USE) for user in users]


def mix_requests(users: list[BenchUser], rng: random.Random) -> list[BenchRequest]:
    """MIX_LENGTH requests drawn by MIX_WEIGHTS, user after user; toggles use tasks no other
    scenario touches, each at most once a pass."""
    kinds = rng.choices(list(MIX_WEIGHTS), weights=list(MIX_WEIGHTS.values()), k=MIX_LENGTH)
    toggles_used: Counter[uuid.UUID] = Counter()
    requests = []
    for position, kind in enumerate(kinds):
        user = users[position % len(users)]
        task_id = rng.choice(user.read_task_ids)
        if kind == "list":
            requests.append(list_request(user, f"limit={PAGE_SIZE}"))
        elif kind == "retrieve":
            requests.append(retrieve_request(user, task_id))
        elif kind == "create":
            requests.append(create_request(user))
        elif kind == "update title":
            requests.append(update_title_request(user, task_id))
        elif toggles_used[user.id] < len(user.mix_toggle_task_ids):
            toggle_task = user.mix_toggle_task_ids[toggles_used[user.id]]
            toggles_used[user.id] += 1
            requests.append(complete_request(user, toggle_task))
        else:
            requests.append(retrieve_request(user, task_id))
    return requests


def build_scenarios(
    users: list[BenchUser], heavy: BenchUser, deep_position: int = DEEP_OFFSET
) -> list[Scenario]:
    """Every scenario, in the order they run and are reported: each floor just before the
    scenarios held to it, so a drift in the machine's speed moves both alike. The deep
    page is at `deep_position` of the heavy user's list."""
    page = f"limit={PAGE_SIZE}"
    deep_page = f"limit={PAGE_SIZE}&offset={deep_position}"
    deep_walk = f"limit={PAGE_SIZE}&cursor={cursor_at(heavy, deep_position)}"
    heavy_reads = heavy.read_task_ids
    floor = FLOOR_PREFIX
    mix = mix_requests(users, random.Random(7))  # noqa: S311 (the same mix every run)
    mix_kinds = Counter(request.kind for request in mix)
    return [
        Scenario(
            "floor list",
            "The floor's first page (limit=20), 200 users in turn.",
            [list_request(user, page, floor) for user in users],
            floor_weights={},
        ),
        Scenario(
            "list",
            "First page (limit=20), 200 users in turn.",
            [list_request(user, page) for user in users],
            floor_weights={"floor list": 1.0},
        ),
        Scenario(
            "list pending by due date",
            "status=pending&sort=due_date, first page, 200 users in turn.",
            [list_request(user, f"status=pending&sort=due_date&{page}") for user in users],
            floor_weights={"floor list": 1.0},
        ),
        Scenario(
            "list search",
            f"search={SEARCH_WORD} (in about a quarter of tasks), first page, 200 users in turn.",
            [list_request(user, f"search={SEARCH_WORD}&{page}") for user in users],
            floor_weights={"floor list": 1.0},
        ),
        Scenario(
            "floor retrieve",
            "The floor's single task, 5 tasks of each of 200 users in turn.",
            across_users(
                users, lambda user, k: retrieve_request(user, user.read_task_ids[k], floor)
            ),
            floor_weights={},
        ),
        Scenario(
            "retrieve",
            "One task, 5 tasks of each of 200 users in turn.",
            across_users(users, lambda user, k: retrieve_request(user, user.read_task_ids[k])),
            floor_weights={"floor retrieve": 1.0},
        ),
        Scenario(
            "floor create",
            "The floor's POST of a task: the product's INSERT ... RETURNING, 200 users in turn.",
            [create_request(user, floor) for user in users],
            floor_weights={},
        ),
        Scenario(
            "create",
            "POST a task with title, description and due date, 200 users in turn.",
            [create_request(user) for user in users],
            floor_weights={"floor create": 1.0},
        ),
        Scenario(
            "floor update title",
            "The floor's PATCH of a title: the same UPDATE ... RETURNING, 5 tasks of each of "
            "200 users in turn.",
            across_users(
                users, lambda user, k: update_title_request(user, user.read_task_ids[k], floor)
            ),
            floor_weights={},
        ),
        Scenario(
            "update title",
            "PATCH a new title, 5 tasks of each of 200 users in turn.",
            across_users(users, lambda user, k: update_title_request(user, user.read_task_ids[k])),
            floor_weights={"floor update title": 1.0},
        ),
        Scenario(
            "complete toggle",
            "PATCH /complete, flipping 5 pending tasks of each of 200 users (true, then false).",
            across_users(users, lambda user, k: complete_request(user, user.toggle_task_ids[k])),
            floor_weights={"floor update title": 1.0},
        ),
        Scenario(
            "mix 80/20",
            "80% reads (list 40, retrieve 40), 20% writes (create 5, title 10, toggle 5).",
            mix,
            floor_weights={
                "floor list": mix_kinds["list"] / len(mix),
                "floor retrieve": 1 - mix_kinds["list"] / len(mix),
            },
        ),
        Scenario(
            "floor heavy list",
            "The floor's first page for the user with 100,000 tasks.",
            [list_request(heavy, page, floor)],
            floor_weights={},
        ),
        Scenario(
            "heavy list",
            "First page for the user with 100,000 tasks.",
            [list_request(heavy, page)],
            floor_weights={"floor heavy list": 1.0},
        ),
        Scenario(
            "list tag",
            f"tag={BENCH_TAG} (on about 7.5% of tasks), first page, 200 users in turn.",
            [list_request(user, f"tag={BENCH_TAG}&{page}") for user in users],
            floor_weights={"floor list": 1.0},
        ),
        Scenario(
            "heavy list tag",
            f"tag={BENCH_TAG}, first page for the user with 100,000 tasks.",
            [list_request(heavy, f"tag={BENCH_TAG}&{page}")],
            floor_weights={"floor heavy list": 1.0},
        ),
        Scenario(
            "list by priority",
            "sort=-priority (high first), first page, 200 users in turn.",
            [list_request(user, f"sort=-priority&{page}") for user in users],
            floor_weights={"floor list": 1.0},
        ),
        Scenario(
            "heavy list by priority",
            "sort=-priority, first page for the user with 100,000 tasks.",
            [list_request(heavy, f"sort=-priority&{page}")],
            floor_weights={"floor heavy list": 1.0},
        ),
        Scenario(
            "heavy search",
            f"search={SEARCH_WORD} (in about a quarter of tasks), first page, for the user "
            "with 100,000 tasks.",
            [list_request(heavy, f"search={SEARCH_WORD}&{page}")],
            floor_weights={"floor heavy list": 1.0},
        ),
        Scenario(
            "floor heavy retrieve",
            "The floor's single task of the heavy user, 200 tasks in turn.",
            [retrieve_request(heavy, task_id, floor) for task_id in heavy_reads],
            floor_weights={},
        ),
        Scenario(
            "heavy retrieve",
            "One task of the heavy user, 200 tasks in turn.",
            [retrieve_request(heavy, task_id) for task_id in heavy_reads],
            floor_weights={"floor heavy retrieve": 1.0},
        ),
        Scenario(
            "floor heavy deep page",
            "The floor's page at offset 50,000 for the heavy user.",
            [list_request(heavy, deep_page, floor)],
            floor_weights={},
        ),
        Scenario(
            DEEP_PAGE,
            "offset=50000&limit=20 for the heavy user.",
            [list_request(heavy, deep_page)],
            floor_weights={"floor heavy deep page": 1.0},
        ),
        Scenario(
            DEEP_WALK,
            "The same page at position 50,000, reached by the cursor of the page before it.",
            [list_request(heavy, deep_walk)],
            floor_weights={"floor heavy deep page": 1.0},
        ),
    ]
