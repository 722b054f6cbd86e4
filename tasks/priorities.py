"""A task's priority: three levels, and the order that sorts them by meaning.

The levels are stored by name, so every row reads as the API answers it; sorting by meaning
(high above medium above low, not alphabetically) goes through `PriorityRank`, the same
expression the list sorts by, the keyset cursor seeks by, and the sort index is built on.
"""

from django.db.models import Func, IntegerField

# Lowest first: a level's rank is its position here.
PRIORITIES = ("low", "medium", "high")
DEFAULT_PRIORITY = "medium"
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES, start=1)}


class PriorityRank(Func):
    """A priority's rank (low 1, medium 2, high 3), computed by the database.

    The levels are written into the SQL as literals, not parameters, so the expression in an
    ORDER BY is textually the one the index on it was built from, and PostgreSQL uses the
    index to sort."""

    template = (
        "CASE %(expressions)s "
        + " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in PRIORITY_RANK.items())
        + " END"
    )
    output_field = IntegerField()
