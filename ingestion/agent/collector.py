"""What the agent measures, with psutil: one call of `collect` is one round.

Metrics (all with ``host=<hostname>`` plus any extra labels):

=====================================  ====================================
cpu_usage_percent{cpu="total"|"0"..}   busy share of CPU time since last round
load1, load5, load15                   load averages
memory_total_bytes, memory_available_bytes, memory_used_percent
swap_total_bytes, swap_used_bytes, swap_used_percent
disk_total_bytes, disk_free_bytes, disk_used_percent {mount, device, fstype}
disk_read_bytes_per_second, disk_write_bytes_per_second,
disk_reads_per_second, disk_writes_per_second {device}
network_receive_bytes_per_second, network_transmit_bytes_per_second,
network_receive_packets_per_second, network_transmit_packets_per_second {interface}
processes_count                        number of processes
uptime_seconds                         seconds since boot
=====================================  ====================================

CPU shares and I/O rates are differences between two rounds, so the first
round has none of them; a counter that went backwards (a reset, a device
that came and went) gives no rate for that round rather than a negative one.
"""

from __future__ import annotations

import socket
import time
from typing import NamedTuple

import psutil

# Pseudo file systems and loop devices say nothing about a host's capacity.
_SKIPPED_FSTYPES = frozenset(("squashfs", "tmpfs", "devtmpfs", "overlay", "iso9660"))
_SKIPPED_DEVICE_PREFIXES = ("loop", "ram", "/dev/loop")


class Point(NamedTuple):
    metric: str
    labels: dict[str, str]
    ts_ms: int
    value: float


class Collector:
    """Samples the host; keeps the previous round's counters to compute rates."""

    def __init__(self, labels: dict[str, str] | None = None, hostname: str | None = None):
        self.labels = {"host": hostname or socket.gethostname(), **(labels or {})}
        self._previous: dict[tuple, float] = {}
        self._previous_time: float | None = None
        self._previous_cpu: dict[str, tuple] = {}

    def collect(self, now: float | None = None) -> list[Point]:
        """One round of measurements, stamped `now` (seconds since the epoch)."""
        now = time.time() if now is None else now
        ts_ms = int(now * 1000)
        self._points: list[Point] = []
        self._ts_ms = ts_ms
        self._cpu()
        self._memory()
        self._disks()
        elapsed = None if self._previous_time is None else now - self._previous_time
        counters = self._counters()
        if elapsed and elapsed > 0:
            for key, value in counters.items():
                before = self._previous.get(key)
                if before is not None and value >= before:
                    metric, label_name, label_value = key
                    self._add(metric, (value - before) / elapsed, {label_name: label_value})
        self._previous = counters
        self._previous_time = now
        self._add("processes_count", float(len(psutil.pids())))
        self._add("uptime_seconds", max(0.0, now - psutil.boot_time()))
        return self._points

    def _add(self, metric: str, value: float, labels: dict[str, str] | None = None) -> None:
        self._points.append(Point(metric, {**self.labels, **(labels or {})}, self._ts_ms, float(value)))

    def _cpu(self) -> None:
        per_core = psutil.cpu_times(percpu=True)
        current = {str(i): times for i, times in enumerate(per_core)}
        current["total"] = psutil.cpu_times()
        for cpu, times in current.items():
            before = self._previous_cpu.get(cpu)
            share = None if before is None else busy_share(before, times)
            if share is not None:
                self._add("cpu_usage_percent", 100.0 * share, {"cpu": cpu})
        self._previous_cpu = current

    def _memory(self) -> None:
        for name, value in zip(("load1", "load5", "load15"), psutil.getloadavg(), strict=True):
            self._add(name, value)
        memory = psutil.virtual_memory()
        self._add("memory_total_bytes", memory.total)
        self._add("memory_available_bytes", memory.available)
        self._add("memory_used_percent", memory.percent)
        swap = psutil.swap_memory()
        self._add("swap_total_bytes", swap.total)
        self._add("swap_used_bytes", swap.used)
        self._add("swap_used_percent", swap.percent)

    def _disks(self) -> None:
        seen = set()
        for partition in psutil.disk_partitions(all=False):
            if partition.fstype in _SKIPPED_FSTYPES or partition.device.startswith(_SKIPPED_DEVICE_PREFIXES):
                continue
            if partition.mountpoint in seen:
                continue
            seen.add(partition.mountpoint)
            try:
                usage = psutil.disk_usage(partition.mountpoint)
            except OSError:  # unmounted meanwhile, or not readable by this user
                continue
            labels = {"mount": partition.mountpoint, "device": partition.device, "fstype": partition.fstype}
            self._add("disk_total_bytes", usage.total, labels)
            self._add("disk_free_bytes", usage.free, labels)
            self._add("disk_used_percent", usage.percent, labels)

    def _counters(self) -> dict[tuple[str, str, str], float]:
        """Monotonic counters, keyed by (rate metric, label name, label value)."""
        counters = {}
        for device, io in (psutil.disk_io_counters(perdisk=True) or {}).items():
            if device.startswith(_SKIPPED_DEVICE_PREFIXES):
                continue
            counters[("disk_read_bytes_per_second", "device", device)] = io.read_bytes
            counters[("disk_write_bytes_per_second", "device", device)] = io.write_bytes
            counters[("disk_reads_per_second", "device", device)] = io.read_count
            counters[("disk_writes_per_second", "device", device)] = io.write_count
        for interface, io in (psutil.net_io_counters(pernic=True) or {}).items():
            counters[("network_receive_bytes_per_second", "interface", interface)] = io.bytes_recv
            counters[("network_transmit_bytes_per_second", "interface", interface)] = io.bytes_sent
            counters[("network_receive_packets_per_second", "interface", interface)] = io.packets_recv
            counters[("network_transmit_packets_per_second", "interface", interface)] = io.packets_sent
        return counters


# Time counted twice by Linux (guest time is also user or nice time).
_COUNTED_ELSEWHERE = {"guest", "guest_nice"}
_IDLE = {"idle", "iowait"}


def busy_share(before, after) -> float | None:
    """The busy share of CPU time between two psutil `cpu_times`, in [0, 1];
    None if no time passed.

    Each counter's change counts only if it is not negative: on virtual
    machines steal (and on some kernels iowait) can step backwards, which
    must neither hide a round nor give a share outside [0, 1].
    """
    busy = idle = 0.0
    for field in after._fields:
        if field in _COUNTED_ELSEWHERE:
            continue
        delta = max(0.0, getattr(after, field) - getattr(before, field))
        if field in _IDLE:
            idle += delta
        else:
            busy += delta
    total = busy + idle
    return busy / total if total > 0 else None
