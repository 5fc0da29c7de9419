"""A small thread-safe limiter of failed attempts: per client and overall, over a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class Throttled(Exception):
    """Too many failed attempts lately: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int, everyone: bool) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} s")
        self.retry_after = retry_after
        self.everyone = everyone


class FailureLimiter:
    """Remembers when attempts failed, per client and for all clients together, over the last ``window`` seconds.

    ``check(client)`` raises Throttled while the client has ``per_client`` failures in the window, or everyone
    together ``overall``; ``failed(client)`` records one. Memory is bounded: at most ``per_client`` times per
    client and ``overall`` in all, and clients whose failures are older than the window are forgotten.
    """

    def __init__(self, per_client: int, overall: int, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client = max(1, per_client)
        self.overall = max(1, overall)
        self.window = window
        self.clock = clock
        self._all: deque[float] = deque(maxlen=self.overall)
        self._clients: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _wait(self, times: deque[float], limit: int, now: float) -> float:
        """Seconds until ``times`` holds fewer than ``limit`` failures within the window (0 when it does now)."""
        while times and times[0] <= now - self.window:
            times.popleft()
        return times[0] + self.window - now if len(times) >= limit else 0.0

    def check(self, client: str) -> None:
        """Raise Throttled when this client, or everyone together, failed too often within the window."""
        with self._lock:
            now = self.clock()
            own = self._clients.get(client)
            mine = self._wait(own, self.per_client, now) if own is not None else 0.0
            everyone = self._wait(self._all, self.overall, now)
        if mine or everyone:
            raise Throttled(max(1, int(max(mine, everyone) + 0.999)), everyone > mine)

    def failed(self, client: str) -> None:
        """Record one failed attempt of this client."""
        with self._lock:
            now = self.clock()
            if len(self._clients) >= 4 * self.overall:  # forget clients with no failure within the window
                self._clients = {k: v for k, v in self._clients.items() if v and v[-1] > now - self.window}
            self._clients.setdefault(client, deque(maxlen=self.per_client)).append(now)
            self._all.append(now)
