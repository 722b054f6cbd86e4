"""Issue 5's goals as every report judges them, from a run's results."""

from bench.report import goals, goals_table


def scenario(name: str, rps: float, share: float | None = None, p50: float = 10.0) -> dict:
    return {
        "name": name,
        "requests_per_second": rps,
        "share_of_floor": share,
        "latency_ms": {"p50": p50, "p99": 4 * p50},
        "errors": {"total": 0},
    }


def test_goals_judge_what_ran_and_give_the_write_floor_as_context_without_a_target():
    results = {
        "scenarios": [
            scenario("floor retrieve", 1000),
            scenario("retrieve", 850, share=0.85),
            scenario("floor update title", 600),
            scenario("update title", 450, share=0.45),
        ]
    }

    rows = {row["goal"].strip(): row for row in goals(results)}

    assert rows["retrieve, share of the floor"] == {
        "goal": "retrieve, share of the floor",
        "measured": 0.85,
        "target": ">= 0.8",
        "met": True,
    }
    assert rows["PATCH title, share of the floor"]["met"] is False
    assert rows["context: write floor, share of the read floor"] == {
        "goal": "  context: write floor, share of the read floor",
        "measured": 0.6,
        "target": None,
        "met": None,
    }
    assert rows["context: PATCH title, share of the write floor"]["measured"] == 0.75
    # Goals whose scenarios did not run are left out, not failed.
    assert "list first page, share of the floor" not in rows
    assert set(rows) == {
        "retrieve, share of the floor",
        "PATCH title, share of the floor",
        "context: write floor, share of the read floor",
        "context: PATCH title, share of the write floor",
        "errors, all scenarios",
    }
    table = goals_table(goals(results))
    assert "context: write floor, share of the read floor" in table
    context_line = table.splitlines()[-2]
    assert context_line.startswith("  context: PATCH title, share of the write floor")
    assert context_line.split()[-3:] == ["0.75", "-", "-"]


def test_search_is_held_to_the_floor_list_and_the_heavy_users_search_to_the_ordinary_users():
    results = {
        "scenarios": [
            scenario("floor list", 300),
            scenario("list search", 150, share=0.5, p50=40.0),
            scenario("floor heavy list", 100),
            scenario("heavy search", 40, share=0.4, p50=160.0),
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
