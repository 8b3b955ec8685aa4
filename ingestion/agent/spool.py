"""The agent's on-disk queue of batches waiting to be sent.

Every batch is written here before it is sent, and deleted once the server
has taken it, so neither an unreachable server nor a restart of the agent
loses points. Files are named by a growing sequence number, so batches are
replayed in the order they were measured, also across restarts.

A batch sent but not yet deleted when the agent dies is sent again after the
restart; the server stores re-sent points once, so replays never duplicate.

The spool is bounded (`max_bytes`). When a new batch would exceed it, the
oldest batches are dropped, with a warning saying how many points were lost:
while an outage lasts, the newest data is the most useful, and the oldest
would soon fall out of the server's retention anyway.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

_SUFFIX = ".batch"


class Spool:
    """Batches as files named ``<sequence>.batch`` in one directory."""

    def __init__(self, directory: str | Path, max_bytes: int = 64 * 1024 * 1024):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.dropped_batches = 0
        for leftover in self.directory.glob("*.tmp"):  # a write cut short by a crash
            leftover.unlink(missing_ok=True)
        files = self.pending()
        self._next = int(files[-1].stem) + 1 if files else 1

    def pending(self) -> list[Path]:
        """Spooled batch files, oldest first."""
        return sorted(self.directory.glob(f"*{_SUFFIX}"), key=lambda path: int(path.stem))

    def size(self) -> int:
        return sum(path.stat().st_size for path in self.pending())

    def append(self, payload: bytes) -> Path:
        """Store a batch durably (write, fsync, rename) after making room for it."""
        self._make_room(len(payload))
        path = self.directory / f"{self._next:020d}{_SUFFIX}"
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        self._next += 1
        return path

    def _make_room(self, incoming: int) -> None:
        files = self.pending()
        total = sum(path.stat().st_size for path in files) + incoming
        while files and total > self.max_bytes:
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)
            self.dropped_batches += 1
            logger.warning("spool full (%d bytes): dropped the oldest batch %s", self.max_bytes, oldest.name)
