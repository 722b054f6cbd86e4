"""The goals as every report judges them, from a run's results (issues 5, 13 and 16)."""

from bench.report import goals, goals_table
from bench.run import median_results


def scenario(
    name: str,
    rps: float,
    share: float | None = None,
    p99: float = 40.0,
    held_to: dict[str, float] | None = None,
) -> dict:
    return {
        "name": name,
        "floor": held_to is None,
        "held_to": held_to or {},
        "requests_per_second": rps,
        "share_of_floor": share,
        "latency_ms": {"p50": p99 / 4, "p99": p99},
        "errors": {"total": 0},
    }


def test_writes_are_held_to_their_own_floors_and_the_read_floor_is_context():
    results = {
        "scenarios": [
            scenario("floor retrieve", 1000, p99=40),
            scenario("retrieve", 850, share=0.85, p99=60, held_to={"floor retrieve": 1.0}),
            scenario("floor create", 700, p99=50),
            scenario("create", 600, share=0.857, p99=80, held_to={"floor create": 1.0}),
            scenario("floor update title", 600, p99=50),
            scenario("update title", 570, share=0.95, p99=70, held_to={"floor update title": 1.0}),
        ]
    }

    rows = {row["goal"].strip(): row for row in goals(results)}

    assert rows["retrieve, share of the floor retrieve"] == {
        "goal": "retrieve, share of the floor retrieve",
        "measured": 0.85,
        "target": ">= 0.85",
        "met": True,
    }
    assert rows["create, share of the create floor"]["met"] is False
    assert rows["PATCH title, share of the write floor"]["met"] is True
    assert rows["context: write floor, share of the read floor"] == {
        "goal": "  context: write floor, share of the read floor",
        "measured": 0.6,
        "target": None,
        "met": None,
    }
    assert rows["context: create floor, share of the read floor"]["measured"] == 0.7
    # p99 against the scenario's own floor's: 60 / 40, 80 / 50, 70 / 50.
    assert rows["retrieve p99 / its floor's"]["measured"] == 1.5
    assert rows["retrieve p99 / its floor's"]["met"] is True
    assert rows["create p99 / its floor's"]["met"] is False
    assert rows["update title p99 / its floor's"]["measured"] == 1.4
    # Goals whose scenarios did not run are left out, not failed.
    assert "list first page, share of the floor list" not in rows
    assert set(rows) == {
        "retrieve, share of the floor retrieve",
        "create, share of the create floor",
        "PATCH title, share of the write floor",
        "context: write floor, share of the read floor",
        "context: create floor, share of the read floor",
        "retrieve p99 / its floor's",
        "create p99 / its floor's",
        "update title p99 / its floor's",
        "errors, all scenarios",
    }
    table = goals_table(goals(results))
    context_line = next(line for line in table.splitlines() if "create floor, share" in line)
    assert context_line.split()[-3:] == ["0.7", "-", "-"]


def test_a_mixed_scenarios_p99_is_held_to_its_floors_by_share():
    results = {
        "scenarios": [
            scenario("floor list", 500, p99=100),
            scenario("floor retrieve", 1000, p99=40),
            scenario(
                "mix 80/20",
                700,
                share=0.9,
                p99=100,
                held_to={"floor list": 0.5, "floor retrieve": 0.5},
            ),
        ]
    }

    rows = {row["goal"]: row for row in goals(results)}

    assert rows["mix 80/20 p99 / its floor's"]["measured"] == round(100 / 70, 3)


def test_memory_growth_is_judged_from_the_first_thousand_to_the_last_reading():
    memory = {
        "checkpoints": [
            {"requests": 0, "rss_mib": 100.0},
            {"requests": 1_000, "rss_mib": 150.0},
            {"requests": 100_000, "rss_mib": 159.0},
        ]
    }

    (row,) = [row for row in goals({"scenarios": [], "memory": memory}) if "RSS" in row["goal"]]

    assert row == {
        "goal": "workers' RSS growth, 1,000 to 100,000 requests",
        "measured": 0.06,
        "target": "<= 0.05",
        "met": False,
    }


def test_several_runs_report_each_numbers_median_and_every_runs_errors():
    def run(rps: float, p99: float, errors: int) -> list[dict]:
        result = scenario("list", rps, share=rps / 1000, p99=p99, held_to={"floor list": 1.0})
        return [{**result, "errors": {"non_2xx": errors, "total": errors}}]

    (median,) = median_results([run(300, 90, 0), run(500, 70, 2), run(400, 200, 0)])

    assert median["requests_per_second"] == 400
    assert median["share_of_floor"] == 0.4
    assert median["latency_ms"] == {"p50": 22.5, "p99": 90}
    assert median["errors"] == {"non_2xx": 2, "total": 2}
    assert median["held_to"] == {"floor list": 1.0}
    assert median["floor"] is False


def test_search_is_held_to_the_floor_list_and_the_heavy_users_search_to_the_ordinary_users():
    results = {
        "scenarios": [
            scenario("floor list", 300),
            scenario("list search", 150, share=0.5, p99=160.0, held_to={"floor list": 1.0}),
            scenario("floor heavy list", 100),
            scenario("heavy search", 40, share=0.4, p99=640.0, held_to={"floor heavy list": 1}),
        ]
    }

    rows = {row["goal"]: row for row in goals(results)}

    assert rows["list search, share of the floor"] == {
        "goal": "list search, share of the floor",
        "measured": 0.5,
        "target": ">= 0.6",
        "met": False,
    }
    assert rows["heavy user's search p50 / ordinary user's"] == {
        "goal": "heavy user's search p50 / ordinary user's",
        "measured": 4.0,
        "target": "<= 3.0",
        "met": False,
    }
