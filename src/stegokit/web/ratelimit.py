"""Failed sign-ins, counted per client address and per e-mail, in a sliding window."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable

#: Failures allowed per key (client address, e-mail) within :data:`WINDOW_S`.
MAX_FAILURES = 5
WINDOW_S = 300.0


class AttemptLimiter:
    """Counts failures per key; a key with ``max_failures`` in the last ``window_s`` seconds
    is blocked until the oldest of them leaves the window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def wait_s(self, keys: Iterable[str]) -> float:
        """Seconds until every key may try again (0: now)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    longest = max(longest, times[0] + self.window_s - now)
        return longest

    def fail(self, keys: Iterable[str]) -> None:
        """Count one failure for each key."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._failures[key].append(now)

    def clear(self, key: str) -> None:
        """Forget a key's failures (after a successful sign-in)."""
        with self._lock:
            self._failures.pop(key, None)
