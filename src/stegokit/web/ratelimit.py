"""A sliding-window rate limit per client: at most ``limit`` events in ``window_s`` seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Counts events per key (a client's address) over the last ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """Record an event for ``key`` and return 0, or, over the limit, the seconds until
        the next event would be allowed (the refused event is not recorded)."""
        now = self._clock()
        with self._lock:
            self._forget_before(now - self.window_s)
            events = self._events.setdefault(key, deque())
            if len(events) >= self.limit:
                return max(events[0] + self.window_s - now, 0.001)
            events.append(now)
            return 0.0

    def _forget_before(self, cutoff: float) -> None:
        for key in list(self._events):
            events = self._events[key]
            while events and events[0] <= cutoff:
                events.popleft()
            if not events:
                del self._events[key]
