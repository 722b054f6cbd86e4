"""bench/load.py: a timed run that measured nothing fails the benchmark instead of a report."""

import pytest

from bench.load import LoadError, LoadRun, check_some_completed


def wrk_run(requests: int, timeouts: int = 0) -> LoadRun:
    return LoadRun(
        requests=requests,
        sent=requests + timeouts,
        seconds=10.0,
        non_2xx=0,
        socket_errors=0,
        timeouts=timeouts,
        latency_ms={"p50": 1.0, "p99": 2.0},
        load_cpu_seconds=0.1,
    )


def test_a_scenario_that_completed_no_request_fails_the_benchmark_with_the_reason():
    with pytest.raises(LoadError) as failure:
        check_some_completed("heavy search", wrk_run(0, timeouts=32), lambda: "\n(gunicorn log)")

    assert str(failure.value) == (
        "heavy search: no request completed in 10 s (32 timeouts, 0 socket errors)\n(gunicorn log)"
    )


def test_a_scenario_that_completed_requests_goes_on_to_the_report():
    check_some_completed("list", wrk_run(1), lambda: pytest.fail("the log is read only to fail"))
