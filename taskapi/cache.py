"""Django's cache backends with the one operation the rate limits need: count a hit in a
window, atomically, and let the window's counter expire with it.

The stock API takes three Redis round trips for that (`add`, then `incr`, which checks
`exists` first) and builds a new redis-py client for each: together about a quarter of a
cheap API request's time. Here it is one round trip, on a client made once per process.
"""

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# INCR creates a missing key at 1; the window's first hit gives it the window's lifetime, so
# no counter outlives its window. One script, so the two steps cannot be split by an expiry.
COUNT_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class ReusedRedisClient(RedisCacheClient):
    """Django's Redis client, keeping one redis-py client per connection pool (a client is
    thread-safe; constructing one costs more than the command it sends)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._count_hit = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client

    def count_hit(self, key: str, lifetime: int) -> int:
        client = self.get_client(key, write=True)
        if self._count_hit is None:
            # redis-py runs it by its SHA and loads it again if the server has lost it.
            self._count_hit = client.register_script(COUNT_HIT_SCRIPT)
        return int(self._count_hit(keys=[key], args=[lifetime], client=client))


class WindowCounterRedisCache(RedisCache):
    """Django's RedisCache with `count_hit` and a reused client."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedRedisClient

    def count_hit(self, key: str, lifetime: int, version: int | None = None) -> int:
        """Adds one to the counter at `key`, created with `lifetime` seconds to live if it is
        missing or expired, and answers the new count."""
        return self._cache.count_hit(self.make_and_validate_key(key, version=version), lifetime)


class WindowCounterLocMemCache(LocMemCache):
    """Django's per-process LocMemCache with `count_hit` (counts per worker: see settings).

    It holds up to 100,000 counters (about 35 MB) where Django's default is 300: when full,
    the cache drops a third of its least recently used entries, live counters included, so a
    window with a few hundred clients counted would reset some of their counts.
    """

    def __init__(self, name, params):
        options = {"MAX_ENTRIES": 100_000, **params.get("OPTIONS", {})}
        super().__init__(name, {**params, "OPTIONS": options})

    def count_hit(self, key: str, lifetime: int, version: int | None = None) -> int:
        self.add(key, 0, timeout=lifetime, version=version)
        try:
            return self.incr(key, version=version)
        except ValueError:
            # The key expired between add and incr; start the window's count afresh.
            self.add(key, 0, timeout=lifetime, version=version)
            return self.incr(key, version=version)
