"""Realistic demo metrics with known, injected anomalies.

Five hosts over 14 days at 1-minute resolution: CPU with daily and weekly
cycles, memory, disk use, network and request latency. The anomalies are
placed at fixed offsets from the start, and all noise comes from one seeded
generator, so pages, reports, notebooks and tests all see the same story:

- a CPU spike on web-1,
- a latency level shift on web-2,
- a slow memory leak on web-2,
- web-3 turning noisy in its peer group (CPU of the web hosts),
- a network outage on web-4,
- the data disk of db-1 filling towards full.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingestion.samples import Sample, canonical_labels

DAYS = 14
STEP_SECONDS = 60
WEB_HOSTS = ("web-1", "web-2", "web-3", "web-4")
DB_HOST = "db-1"
DATA_MOUNT = "/var/lib/postgresql"


@dataclass(frozen=True)
class DemoSeries:
    metric: str
    labels: dict[str, str]
    values: np.ndarray
    capacity: float | None = None


@dataclass(frozen=True)
class InjectedAnomaly:
    """An anomaly put into the demo data on purpose, where a detector should find it."""

    kind: str  # spike, level_shift, leak, noisy_peer, outage, filling
    metric: str
    host: str
    start: dt.datetime
    end: dt.datetime
    description: str
    # Labels besides the host that pick the one series (db-1 has two disks).
    extra_labels: tuple[tuple[str, str], ...] = ()

    @property
    def labels(self) -> dict[str, str]:
        """The labels of the series the anomaly is in."""
        return {"host": self.host, **dict(self.extra_labels)}


@dataclass(frozen=True)
class DemoData:
    start: dt.datetime
    timestamps_us: np.ndarray
    series: list[DemoSeries]
    anomalies: list[InjectedAnomaly]


def build_demo(end: dt.datetime, seed: int = 42) -> DemoData:
    """Generate the demo data set ending at `end` (rounded down to the minute)."""
    end = end.astimezone(dt.UTC).replace(second=0, microsecond=0)
    n = DAYS * 24 * 60
    start = end - dt.timedelta(minutes=n - 1)
    t0_us = int(start.timestamp()) * 1_000_000
    timestamps_us = t0_us + np.arange(n, dtype=np.int64) * STEP_SECONDS * 1_000_000
    rng = np.random.default_rng(seed)
    clock = _Clock(start, n)
    series: list[DemoSeries] = []
    anomalies: list[InjectedAnomaly] = []
    for index, host in enumerate(WEB_HOSTS):
        series += _web_host(host, index, clock, rng, anomalies)
    series += _db_host(clock, rng, anomalies)
    return DemoData(start, timestamps_us, series, anomalies)


class _Clock:
    """Minute-of-day and day-of-week of every point, for the cycles."""

    def __init__(self, start: dt.datetime, n: int):
        self.start = start
        self.n = n
        minutes = start.hour * 60 + start.minute + np.arange(n)
        self.day_phase = (minutes % 1440) / 1440.0
        self.weekday = (start.weekday() + minutes // 1440) % 7

    def index(self, day: int, hour: int, minute: int = 0) -> int:
        """Index of day `day` (from the start) at hh:mm."""
        midnight = self.start.replace(hour=0, minute=0)
        when = midnight + dt.timedelta(days=day, hours=hour, minutes=minute)
        return int((when - self.start).total_seconds() // 60)

    def time(self, index: int) -> dt.datetime:
        return self.start + dt.timedelta(minutes=index)

    def business_load(self) -> np.ndarray:
        """0..1 load: a daily cycle peaking mid-afternoon, lighter at weekends."""
        daily = 0.5 - 0.5 * np.cos(2 * np.pi * (self.day_phase - 0.125))
        weekend = np.where(self.weekday >= 5, 0.55, 1.0)
        return daily * weekend


def _web_host(host, index, clock: _Clock, rng, anomalies) -> list[DemoSeries]:
    load = clock.business_load()
    labels = {"host": host}
    cpu = 18 + 45 * load + rng.normal(0, 2.0, clock.n) + index
    memory = 52 + 6 * load + rng.normal(0, 0.6, clock.n)
    network = 2.0e6 + 9.0e6 * load * (1 + rng.normal(0, 0.08, clock.n))
    latency = 0.080 + 0.060 * load + np.abs(rng.normal(0, 0.006, clock.n))
    disk = 41 + 2.0 * np.arange(clock.n) / clock.n + rng.normal(0, 0.05, clock.n)

    if host == "web-1":
        a = clock.index(9, 14)
        cpu[a : a + 6] = 97 + rng.normal(0, 1.0, 6)
        anomalies.append(
            _anomaly("spike", "cpu_usage_percent", host, clock, a, a + 6, "CPU pinned at 97 % for 6 minutes")
        )
    if host == "web-2":
        a, b = clock.index(11, 9, 30), clock.index(11, 12, 30)
        latency[a:b] *= 2.6
        anomalies.append(
            _anomaly(
                "level_shift", "http_request_latency_seconds", host, clock, a, b, "latency ×2.6 for 3 hours"
            )
        )
        a = clock.index(10, 0)
        memory[a:] += np.linspace(0, 30, clock.n - a)
        anomalies.append(
            _anomaly(
                "leak", "memory_used_percent", host, clock, a, clock.n - 1, "memory grows 30 points in 4 days"
            )
        )
    if host == "web-3":
        a, b = clock.index(12, 0), clock.index(13, 0)
        cpu[a:b] += rng.normal(0, 14.0, b - a)
        anomalies.append(
            _anomaly(
                "noisy_peer", "cpu_usage_percent", host, clock, a, b, "CPU turns noisy, unlike its peers"
            )
        )
    if host == "web-4":
        a = clock.index(12, 3)
        network[a : a + 20] = rng.uniform(0, 2000, 20)
        anomalies.append(
            _anomaly("outage", "network_receive_bytes_per_second", host, clock, a, a + 20, "no traffic")
        )

    return [
        DemoSeries("cpu_usage_percent", labels, np.clip(cpu, 0, 100), capacity=100.0),
        DemoSeries("memory_used_percent", labels, np.clip(memory, 0, 100), capacity=100.0),
        DemoSeries("disk_used_percent", {**labels, "mount": "/"}, disk, capacity=100.0),
        DemoSeries("network_receive_bytes_per_second", labels, np.maximum(network, 0)),
        DemoSeries("http_request_latency_seconds", labels, latency),
    ]


def _db_host(clock: _Clock, rng, anomalies) -> list[DemoSeries]:
    load = clock.business_load()
    labels = {"host": DB_HOST}
    progress = np.arange(clock.n) / clock.n
    cpu = 25 + 30 * load + rng.normal(0, 2.5, clock.n)
    memory = 71 + 3 * load + rng.normal(0, 0.4, clock.n)
    # The data disk fills at ~2.4 points a day, with the daily rhythm of the
    # writes on top: full about four days after the end of the data.
    data_disk = 56 + 34 * progress + 0.4 * np.cumsum(load) / clock.n * 14 + rng.normal(0, 0.08, clock.n)
    anomalies.append(
        _anomaly(
            "filling",
            "disk_used_percent",
            DB_HOST,
            clock,
            0,
            clock.n - 1,
            "data disk fills towards 100 %",
            extra_labels=(("mount", DATA_MOUNT),),
        )
    )
    return [
        DemoSeries("cpu_usage_percent", labels, np.clip(cpu, 0, 100), capacity=100.0),
        DemoSeries("memory_used_percent", labels, np.clip(memory, 0, 100), capacity=100.0),
        DemoSeries(
            "disk_used_percent", {**labels, "mount": "/"}, 33 + rng.normal(0, 0.05, clock.n), capacity=100.0
        ),
        DemoSeries("disk_used_percent", {**labels, "mount": DATA_MOUNT}, data_disk, capacity=100.0),
        DemoSeries(
            "network_receive_bytes_per_second",
            labels,
            1.0e6 + 4.0e6 * load * (1 + rng.normal(0, 0.1, clock.n)),
        ),
    ]


def _anomaly(
    kind, metric, host, clock: _Clock, a: int, b: int, description: str, extra_labels=()
) -> InjectedAnomaly:
    return InjectedAnomaly(kind, metric, host, clock.time(a), clock.time(b), description, extra_labels)


def iter_samples(data: DemoData, series: DemoSeries) -> list[Sample]:
    """The samples of one demo series, ready for the writer."""
    labels = canonical_labels(series.labels)
    return [
        Sample(series.metric, labels, int(ts), float(v), i + 1)
        for i, (ts, v) in enumerate(zip(data.timestamps_us, series.values, strict=True))
    ]
