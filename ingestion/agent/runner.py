"""The agent's loop: measure, spool, send what is spooled, sleep; stop on SIGTERM."""

from __future__ import annotations

import json
import logging
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path

from ingestion.agent.collector import Collector, Point
from ingestion.agent.spool import Spool

logger = logging.getLogger(__name__)

WRITE_PATH = "/api/v1/write?precision=ms"


class SendError(Exception):
    """The server could not take a batch now (unreachable, 5xx, 429): retry later."""


class Agent:
    """Sends one batch per interval to tsmon's JSON write endpoint.

    A batch is spooled before it is sent, so a send that fails leaves it on
    disk to be replayed, in order, on the next round (or after a restart).
    Answers 2xx and 4xx both end a batch's life: a 4xx means the server
    looked at it and refused some or all of it, which a retry cannot change.
    """

    def __init__(
        self,
        url: str,
        token: str,
        spool_dir: str | Path,
        interval: float = 10.0,
        collector: Collector | None = None,
        spool_max_bytes: int = 64 * 1024 * 1024,
        timeout: float = 10.0,
    ):
        self.url = url.rstrip("/") + WRITE_PATH
        self.token = token
        self.interval = interval
        self.timeout = timeout
        self.collector = collector or Collector()
        self.spool = Spool(spool_dir, spool_max_bytes)
        self.stopping = threading.Event()

    def run(self, once: bool = False) -> None:
        """Loop until SIGTERM/SIGINT (or after one round with `once`)."""
        self._install_signal_handlers()
        # CPU shares and rates need a previous round: take one to start from,
        # so that even a single (`once`) round reports them.
        self.collector.collect()
        if self.stopping.wait(min(1.0, self.interval)):
            return
        while True:
            self.run_round()
            if once or self.stopping.wait(self.interval):
                break
        logger.info("agent stopped; %d batch(es) left in the spool", len(self.spool.pending()))

    def run_round(self) -> int:
        """Measure, spool the batch, then flush the spool; return batches sent."""
        points = self.collector.collect()
        if points:
            self.spool.append(encode_batch(points))
        return self.flush()

    def flush(self) -> int:
        """Send spooled batches oldest first; stop at the first that cannot be sent."""
        sent = 0
        for path in self.spool.pending():
            if self.stopping.is_set() and sent:
                break
            try:
                self.send(path.read_bytes())
            except SendError as exc:
                logger.warning(
                    "server unavailable (%s); %d batch(es) spooled", exc, len(self.spool.pending())
                )
                break
            path.unlink(missing_ok=True)
            sent += 1
        return sent

    def send(self, payload: bytes) -> None:
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                return
        except urllib.error.HTTPError as exc:
            # Closed here, not when the error is collected: a server such as
            # gunicorn may wait for the client to hang up before it goes on.
            with exc:
                if exc.code >= 500 or exc.code in (408, 429):
                    raise SendError(f"HTTP {exc.code}") from None
                logger.error(
                    "server refused a batch (HTTP %d): %s", exc.code, exc.read(500).decode(errors="replace")
                )
        except (urllib.error.URLError, OSError) as exc:
            raise SendError(str(getattr(exc, "reason", exc))) from None

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be handled in the main thread (tests run elsewhere)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())


def encode_batch(points: list[Point]) -> bytes:
    """The JSON row form of ``POST /api/v1/write`` with millisecond timestamps."""
    rows = [{"metric": p.metric, "labels": p.labels, "ts": p.ts_ms, "value": p.value} for p in points]
    return json.dumps(rows, separators=(",", ":")).encode()
