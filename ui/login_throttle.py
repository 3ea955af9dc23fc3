"""Trainer login throttling per client: a growing delay after each wrong password, then a temporary lockout.

A client is the address Gradio saw (`request.client.host`). Behind a reverse proxy that is the proxy's
address, so every user shares one budget; the proxy then has to limit per user (see ui/TRAINER.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class _Client:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


@dataclass
class LoginThrottle:
    """Counts failed logins per client; after `max_failures` in a row the client is locked out for a while."""

    max_failures: int = 5
    lockout_s: float = 15 * 60
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    forget_after_s: float = 60 * 60  # a client with no failure for this long starts over
    max_clients: int = 10_000  # bounds memory when many addresses try
    clock: Callable[[], float] = time.monotonic
    _clients: dict[str, _Client] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_for(self, client: str) -> float:
        """Seconds the client must still wait before it may try again (0 when it may try now)."""
        with self._lock:
            state = self._clients.get(client)
            return max(0.0, state.locked_until - self.clock()) if state else 0.0

    def failure(self, client: str) -> float:
        """Record a wrong password; returns the delay to apply before answering (growing with each failure)."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            state = self._clients.setdefault(client, _Client())
            if now - state.last > self.forget_after_s:
                state.failures = 0
            state.failures += 1
            state.last = now
            if state.failures >= self.max_failures:
                state.locked_until = now + self.lockout_s
                state.failures = 0
                log.warning(
                    "trainer login: %s locked out for %d s after %d failed attempts",
                    client,
                    self.lockout_s,
                    self.max_failures,
                )
                return self.max_delay_s
            delay = min(self.max_delay_s, self.base_delay_s * 2.0 ** (state.failures - 1))
        log.warning("trainer login failed from %s (%d in a row)", client, state.failures)
        return delay

    def success(self, client: str) -> None:
        """A correct login: the client starts over."""
        with self._lock:
            self._clients.pop(client, None)
        log.info("trainer login from %s", client)

    def _prune(self, now: float) -> None:
        if len(self._clients) < self.max_clients:
            return
        stale = [
            c
            for c, s in self._clients.items()
            if s.locked_until <= now and now - s.last > min(self.forget_after_s, self.lockout_s)
        ]
        for c in stale or list(self._clients)[: len(self._clients) // 2]:
            del self._clients[c]


def client_of(request: object) -> str:
    """The client address of a Gradio request ('unknown' when there is none, e.g. a direct call)."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return str(host) if host else "unknown"
