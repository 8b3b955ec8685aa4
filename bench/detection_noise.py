"""How noisy detection is on the demo data, and whether it finds what was injected.

    .venv/bin/python bench/detection_noise.py                        # 5 hosts x 14 days, as `make run`
    .venv/bin/python bench/detection_noise.py --hosts web-1 web-2 --days 6   # faster: two hosts, last 6 days

In a scratch database it creates and drops, it writes the demo data
(demo.data.build_demo, the generator `seed_demo` uses, with its seed,
ending last Monday 00:00 UTC unless `--end` says otherwise, so that runs
compare), creates the demo's detectors (the default one from the migrations and
seed_demo's peer-group detector), and runs the scheduler's own `detect` and
`detect_peers` jobs once over all of it, as the first round after `make run`
does (scores do not depend on how points are split into runs). Then it
prints, from the stored events and anomalous points:

- per detector and metric: events outside the injected anomalies (noise),
  per series per week, those in each series' first 24 h, and how many
  peak at 0.8 or more;
- per injected anomaly (the generator's own list) and detector watching its
  series: whether an event overlapped it and how long after its start the
  first anomalous point came;
- the events on db-1's data disk, which fills steadily (a forecast's job,
  not an anomaly: its events count as noise);
- the distribution of the events' peak scores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from harness import scratch_database  # noqa: E402  (bench/ is on sys.path when run as a script)
from noise_stats import (
    HIGH_SCORE,
    Event,
    Window,
    by_metric,
    demo_end,
    in_first_day,
    match,
    outside,
    per_series_week,
    score_bins,
    subset,
)

DEFAULT_SEED = 42  # settings.TSMON_DEMO_SEED's default: the data `make run` shows


def load(args, end: dt.datetime):
    """Write the chosen part of the demo data; return it (DemoData)."""
    from demo import data as demo
    from demo.configuration import create_demo_detectors
    from ingestion.writer import write_samples

    data = subset(demo.build_demo(end, seed=args.seed), args.hosts, args.days)
    for series in data.series:
        write_samples(demo.iter_samples(data, series))
    create_demo_detectors()
    return data


def detect(now: dt.datetime) -> dict[str, float]:
    """Run the scheduler's detection jobs once; return seconds per job."""
    from core.schedule import job_named

    seconds = {}
    for name in ("detect", "detect_peers"):
        started = time.perf_counter()
        job_named(name).run(now)
        seconds[name] = time.perf_counter() - started
    return seconds


def read_events() -> list[Event]:
    from analytics.models import AnomalyEvent

    rows = AnomalyEvent.objects.select_related("detector", "series").order_by("start")
    return [Event(r.detector.name, r.series.key, r.series.metric, r.start, r.end, r.peak_score) for r in rows]


def injected_windows(data) -> tuple[list[Window], dict[str, int]]:
    """The generator's anomalies on their stored series; and series ids by key."""
    from ingestion.models import Series

    series = list(Series.objects.all())
    windows = []
    for a in data.anomalies:
        (found,) = [s for s in series if s.metric == a.metric and a.labels.items() <= s.labels.items()]
        windows.append(Window(a.kind, found.key, a.start, a.end))
    return windows, {s.key: s.pk for s in series}


def first_flagged(detector: str, series_id: int, window: Window, grace: dt.timedelta) -> list[dt.datetime]:
    """The first anomalous point of the window (a list of at most one time)."""
    from analytics.models import Anomaly

    rows = Anomaly.objects.filter(
        detector__name=detector, series_id=series_id, ts__gte=window.start, ts__lte=window.end + grace
    )
    return list(rows.order_by("ts").values_list("ts", flat=True)[:1])


def watchers() -> dict[str, set[str]]:
    """Series keys each detector judged (it keeps a state for each)."""
    from analytics.models import DetectorState

    out: dict[str, set[str]] = {}
    for name, key in DetectorState.objects.values_list("detector__name", "series__key"):
        out.setdefault(name, set()).add(key)
    return out


def series_per_metric(keys: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        metric = key.split("{", 1)[0]
        counts[metric] = counts.get(metric, 0) + 1
    return counts


def print_noise(events, windows, first_ts, judged, days: float, grace) -> None:
    targets = [w for w in windows if w.kind != "filling"]
    print(f"\nnoise: events outside the injected anomalies (window + {_minutes(grace)} after its end)")
    header = f"{'detector':<20}{'metric':<34}{'series':>7}{'events':>8}{'noise':>7}{'/series/week':>13}"
    print(header + f"{'first 24h':>10}{'/s/w after':>11}{f'>={HIGH_SCORE}':>7}")
    for detector in sorted(judged):
        mine = [e for e in events if e.detector == detector]
        noise = outside(mine, targets, grace)
        counts = series_per_metric(judged[detector])
        grouped, noisy = by_metric(mine), by_metric(noise)
        for metric in sorted(counts):
            _noise_row(detector, metric, counts[metric], grouped.get(metric, []), noisy.get(metric, []),
                       first_ts, days)  # fmt: skip
        _noise_row(detector, "total", sum(counts.values()), mine, noise, first_ts, days)


def _noise_row(detector, metric, n_series, events, noise, first_ts, days) -> None:
    early = in_first_day(noise, first_ts)
    rate = per_series_week(len(noise), n_series, days)
    later = per_series_week(len(noise) - len(early), n_series, days - 1)
    high = sum(e.peak_score >= HIGH_SCORE for e in noise)
    print(
        f"{detector:<20}{metric:<34}{n_series:>7}{len(events):>8}{len(noise):>7}{rate:>13.2f}"
        f"{len(early):>10}{later:>11.2f}{high:>7}"
    )


def print_injected(events, windows, ids, judged, grace) -> None:
    print("\ninjected anomalies (demo.data's list), per detector watching the series")
    print(
        f"{'kind':<12}{'series':<58}{'detector':<20}{'overlap':>8}{'first point':>12}{'events':>7}{'peak':>6}"
    )
    for w in (w for w in windows if w.kind != "filling"):
        for detector in sorted(d for d in judged if w.series in judged[d]):
            mine = [e for e in events if e.detector == detector]
            m = match(w, mine, first_flagged(detector, ids[w.series], w, grace), grace)
            delay = "-" if m.first_point_delay is None else "+" + _minutes(m.first_point_delay)
            peak = "-" if m.peak_score is None else f"{m.peak_score:.2f}"
            overlap = "yes" if m.detected else "no"
            print(f"{w.kind:<12}{w.series:<58}{detector:<20}{overlap:>8}{delay:>12}{m.n_events:>7}{peak:>6}")


def print_fill(events, windows, first_ts) -> None:
    for w in (w for w in windows if w.kind == "filling"):
        on_it = [e for e in events if e.series == w.series]
        early = len(in_first_day(on_it, first_ts))
        peak = max((e.peak_score for e in on_it), default=float("nan"))
        print(
            f"\nsteady fill {w.series}: {len(on_it)} events ({early} in the first 24 h), highest peak {peak:.2f}"
        )


def print_noisiest(events, windows, grace, top: int = 8) -> None:
    targets = [w for w in windows if w.kind != "filling"]
    counts: dict[tuple[str, str], int] = {}
    for e in outside(events, targets, grace):
        counts[e.detector, e.series] = counts.get((e.detector, e.series), 0) + 1
    print(f"\nnoisiest series (events outside the injected anomalies), top {top}")
    for (detector, series), n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{detector:<20}{series:<62}{n:>5}")


def print_scores(events, windows, grace) -> None:
    targets = [w for w in windows if w.kind != "filling"]
    print("\npeak scores of events")
    for detector in sorted({e.detector for e in events}):
        mine = [e for e in events if e.detector == detector]
        for label, chosen in (("all", mine), ("noise", outside(mine, targets, grace))):
            bins = "  ".join(f"{k}: {v}" for k, v in score_bins(chosen).items())
            high = sum(e.peak_score >= HIGH_SCORE for e in chosen)
            print(f"{detector:<20}{label:<6}{len(chosen):>5} events  {bins}  (>= {HIGH_SCORE}: {high})")


def _minutes(delta: dt.timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def bench(args) -> None:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    started = time.perf_counter()
    data = load(args, demo_end(args.end, now))
    n_points = sum(s.values.size for s in data.series)
    loaded = time.perf_counter() - started
    seconds = detect(now)
    days = data.timestamps_us.size * 60 / 86400
    hosts = sorted({s.labels["host"] for s in data.series})
    print(
        f"demo (seed {args.seed}): {len(data.series)} series of {len(hosts)} hosts ({', '.join(hosts)}), "
        f"{days:.1f} days from {data.start:%Y-%m-%d %H:%M} UTC, {n_points:,} points written in {loaded:.0f}s; "
        + ", ".join(f"{name} job {s:.0f}s" for name, s in seconds.items())
    )
    grace = dt.timedelta(minutes=args.grace_minutes)
    events = read_events()
    windows, ids = injected_windows(data)
    judged = watchers()
    first_ts = dict.fromkeys(ids, data.start)
    print_noise(events, windows, first_ts, judged, days, grace)
    print_injected(events, windows, ids, judged, grace)
    print_fill(events, windows, first_ts)
    print_noisiest(events, windows, grace)
    print_scores(events, windows, grace)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", nargs="+", help="only these demo hosts (default: all five)")
    parser.add_argument(
        "--days", type=float, help="only the last DAYS of the 14 (6 keeps every injected anomaly)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--end", help="the data's end: ISO time or 'now' (as make run); default last Monday 00:00 UTC"
    )
    parser.add_argument(
        "--grace-minutes", type=float, default=30, help="after an anomaly's end, events still belong to it"
    )
    args = parser.parse_args(argv)
    with scratch_database("tsmon_bench_noise"):
        bench(args)


if __name__ == "__main__":
    main()
