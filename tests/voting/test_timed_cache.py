"""The time-to-live cache: a value is loaded once per lifetime, then again."""

from chalicelib.voting.timed_cache import TimedCache


def test_a_value_is_kept_for_its_lifetime_then_loaded_again():
    ticks, loads = [0.0], []
    cache = TimedCache(5.0, lambda: ticks[0])
    load = lambda: loads.append(ticks[0]) or len(loads)  # noqa: E731
    assert [cache.get("k", load) for _ in range(3)] == [1, 1, 1]
    ticks[0] = 4.999
    assert cache.get("k", load) == 1
    ticks[0] = 5.0
    assert cache.get("k", load) == 2 and loads == [0.0, 5.0]


def test_the_cache_never_holds_more_than_its_bound():
    cache = TimedCache(60.0, lambda: 0.0, max_entries=3)
    for key in range(10):
        cache.get(key, lambda key=key: key)
    assert len(cache._entries) <= 3
