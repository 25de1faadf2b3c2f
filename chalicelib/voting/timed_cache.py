"""A time-to-live cache for what every request reads and rarely changes (contests, the contest
list, published results): each value is kept for `seconds`, then loaded again. functools has no
time-to-live cache; this one is a dict and a monotonic clock, bounded in entries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class TimedCache(Generic[Key, Value]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 1000) -> None:
        self.seconds, self._clock, self._max_entries = seconds, clock, max_entries
        self._entries: dict[Key, tuple[float, Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key, load: Callable[[], Value]) -> Value:
        """The value kept for `key` if younger than `seconds`, else `load()`'s (then kept)."""
        now = self._clock()
        held = self._entries.get(key)
        if held is not None and now - held[0] < self.seconds:
            return held[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value
