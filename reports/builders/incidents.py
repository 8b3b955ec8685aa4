"""Incidents: what went wrong with one series, from every detector's events and the peer comparison.

The detectors see one incident several times (the series detector point by
point, a peer detector window by window, the report's own peer comparison
day by day); a summary that listed events would name one latency shift three
times and leave out a spike. An incident is the events of one series less
than MERGE_GAP apart, with the peer-comparison spans that overlap them.
"""

from __future__ import annotations

import datetime as dt

from reports.builders.outline import iso, parse_iso
from reports.builders.words import humanize_seconds, span, when

MERGE_GAP = dt.timedelta(hours=1)
ONGOING = dt.timedelta(minutes=5)  # an incident ending this close to the period's end is still going


def find_incidents(events: list[dict], outliers: list[dict], period_end: dt.datetime) -> list[dict]:
    """Incidents strongest first: by peak score, then how many detectors saw them, then length."""
    by_key: dict[str, list[dict]] = {}
    for event in events:
        by_key.setdefault(event["key"], []).append(event)
    incidents = [_incident(group, period_end) for items in by_key.values() for group in _runs(items)]
    for outlier in outliers:
        match = next((i for i in incidents if i["key"] == outlier["key"] and _overlaps(i, outlier)), None)
        if match:
            match["peers"].append(outlier)
            match["sources"] = sorted({*match["sources"], "peer comparison"})
        else:
            incidents.append(_peer_incident(outlier))
    return sorted(incidents, key=strength)


def strength(incident: dict) -> tuple:
    """Sort key, strongest first; waves (`reports.builders.waves`) sort by it too."""
    duration = (parse_iso(incident["end"]) - parse_iso(incident["start"])).total_seconds()
    return (-incident["peak_score"], -len(incident["sources"]), -duration, incident["start"])


def _runs(events: list[dict]) -> list[list[dict]]:
    """Events of one series, as runs whose spans lie less than MERGE_GAP apart."""
    runs: list[list[dict]] = []
    run_end = None
    for event in sorted(events, key=lambda e: e["covers_from"]):
        if runs and parse_iso(event["covers_from"]) <= run_end + MERGE_GAP:
            runs[-1].append(event)
            run_end = max(run_end, parse_iso(event["end"]))
        else:
            runs.append([event])
            run_end = parse_iso(event["end"])
    return runs


def _incident(events: list[dict], period_end: dt.datetime) -> dict:
    start, start_windowed = _first(events)
    end, end_windowed = _last(events)
    strongest = min(events, key=lambda e: (-e["peak_score"], -e["duration_seconds"]))
    # In time order, as the detectors saw it: an outage is "below, then above expected" (the
    # recovery), not "above expected" because the recovery's event happened to last longer.
    directions = [e["direction"] for e in sorted(events, key=lambda e: e["covers_from"])]
    tail = dt.timedelta(seconds=strongest["window_seconds"] or 0) if end_windowed else dt.timedelta()
    windowed = [e for e in events if e["window_seconds"]]
    return {
        "key": strongest["key"],
        "name": strongest["name"],
        "host": strongest["host"],
        "start": iso(start),
        "end": iso(end),
        "ongoing": period_end - end <= tail + ONGOING,
        "peak_score": strongest["peak_score"],
        "direction": _sequence(directions),
        "events": sorted(e["rank"] for e in events),
        "sources": sorted({e["detector"] for e in events}),
        # Set when both ends come from windows only: the sentence says so, not minutes it cannot know.
        "window": windowed[0]["window_seconds"] if start_windowed and end_windowed else None,
        "window_detector": windowed[0]["detector"] if windowed else "",
        "peers": [],
    }


def _sequence(directions: list[str]) -> str:
    """`above expected`, or `above, then below expected` when the events turned."""
    first = directions[0]
    later = next((d for d in directions if d != first), None)
    if later is None:
        return first
    return f"{first.split()[0]}, then {later}"


def _first(events: list[dict]) -> tuple[dt.datetime, bool]:
    """Where the incident starts, and whether a window (not a point) says so.

    A window's verdict says that its host stood out somewhere in it; a point
    event starting inside the first window says where.
    """
    precise = [parse_iso(e["start"]) for e in events if not e["window_seconds"]]
    windows = [e for e in events if e["window_seconds"]]
    if not windows:
        return min(precise), False
    first = min(windows, key=lambda e: e["covers_from"])
    opened, closed = parse_iso(first["covers_from"]), parse_iso(first["covers_from"]) + _window(first)
    if precise and min(precise) < closed:
        return min(precise), False
    return opened, True


def _last(events: list[dict]) -> tuple[dt.datetime, bool]:
    precise = [parse_iso(e["end"]) for e in events if not e["window_seconds"]]
    windows = [e for e in events if e["window_seconds"]]
    if not windows:
        return max(precise), False
    last = max(windows, key=lambda e: e["end"])
    closed = parse_iso(last["end"])
    if precise and max(precise) > closed - _window(last):
        return max(precise), False
    return closed, True


def _window(event: dict) -> dt.timedelta:
    return dt.timedelta(seconds=event["window_seconds"])


def _overlaps(incident: dict, outlier: dict) -> bool:
    return (
        parse_iso(outlier["start"]) <= parse_iso(incident["end"]) + MERGE_GAP
        and parse_iso(outlier["end"]) >= parse_iso(incident["start"]) - MERGE_GAP
    )


def _peer_incident(outlier: dict) -> dict:
    return {
        "key": outlier["key"], "name": outlier["name"], "host": outlier["host"], "start": outlier["start"], "end": outlier["end"],
        "ongoing": False, "peak_score": outlier["score"], "direction": outlier["direction"], "events": [],
        "sources": ["peer comparison"], "window": None, "window_detector": "", "peers": [outlier],
    }  # fmt: skip


def incident_sentence(incident: dict) -> str:
    """`http request latency on web-2: above expected from Fri 13 Nov 09:30 to 12:41 UTC (3.2 hours, …)`."""
    if not incident["events"]:
        return f"{incident['name']}: {_peer_words(incident['peers'][0])}, score {incident['peak_score']:.2f}."
    start, end = incident["start"], incident["end"]
    seconds = (parse_iso(end) - parse_iso(start)).total_seconds()
    if incident["ongoing"]:
        period = f"since {when(start)}, still so at the end of the period"
    elif start == end:
        period = f"at {when(start)}"
    else:
        period = span(start, end)
    length = humanize_seconds(seconds) if seconds else "one point"
    how = f"{length}, score {incident['peak_score']:.2f}"
    if incident["window"]:
        hours = incident["window"] / 3600
        how += f", judged in {hours:g}-hour windows by detector “{incident['window_detector']}”"
    sentence = f"{incident['name']}: {incident['direction']} {period} ({how})"
    for outlier in incident["peers"][:1]:
        sentence += f"; {_peer_words(outlier)}"
    return sentence + "."


def _peer_words(outlier: dict) -> str:
    return f"{outlier['direction']} ({outlier['group']}) {span(outlier['start'], outlier['end'])}"
