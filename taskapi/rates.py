"""A rate limit's text form, `"20/minute"`: read once, by settings.py at start (which refuses
a malformed one) and by the throttles. Imports nothing from Django, so settings can use it."""

import re
from dataclasses import dataclass

PERIODS = {"s": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}
RATE_PATTERN = re.compile(r"(\d+)/(" + "|".join(PERIODS) + r")")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`"20/minute"`, `"5/min"`, `"1000/h"`: a count per period (s, min, h or day,
        singular words allowed); ValueError for anything else."""
        match = RATE_PATTERN.fullmatch(text)
        if match is None:
            raise ValueError(f"must look like 20/minute (s, min, h or day), not {text!r}")
        return cls(int(match[1]), PERIODS[match[2]])
