"""Settings the benchmark's gunicorn serves: the product's own, with the floor's routes added.

Everything else (middleware, database, JWT, logging) comes from `taskapi.settings` and the
environment the benchmark sets, so the product and the floor run in the same process with
the same configuration.
"""

from taskapi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
