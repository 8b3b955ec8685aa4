"""Waves: incidents on many hosts that began together, told as one story.

When the incidents of many series begin within minutes of each other (the
first Monday after a weekend, a network blip), listing each one fills the
summary with the same event seen from every host and pushes out the one
host that really went wrong. Their onsets are linked when less than
ONSET_GAP apart; a linked set on WAVE_HOSTS hosts or more is a wave.
Onsets, not spans, are linked: a leak lasting days overlaps everything after
it without having begun with any of it.
"""

from __future__ import annotations

import datetime as dt

from reports.builders.outline import parse_iso
from reports.builders.words import span

ONSET_GAP = dt.timedelta(minutes=30)
WAVE_HOSTS = 3


def find_waves(incidents: list[dict]) -> tuple[list[dict], list[dict]]:
    """(waves, the incidents in none), each strongest first as `incidents` was."""
    waves, alone = [], []
    for members in _onset_runs(incidents):
        if len({m["host"] for m in members}) >= WAVE_HOSTS:
            waves.append(_wave(members))
        else:
            alone += members
    order = {id(i): n for n, i in enumerate(incidents)}
    return waves, sorted(alone, key=lambda i: order[id(i)])


def _onset_runs(incidents: list[dict]) -> list[list[dict]]:
    runs: list[list[dict]] = []
    for incident in sorted(incidents, key=lambda i: i["start"]):
        if runs and parse_iso(incident["start"]) - parse_iso(runs[-1][-1]["start"]) < ONSET_GAP:
            runs[-1].append(incident)
        else:
            runs.append([incident])
    return runs


def _wave(members: list[dict]) -> dict:
    metrics = sorted({m["name"].split(" on ")[0] for m in members})
    return {
        "start": min(m["start"] for m in members),
        "end": max(m["end"] for m in members),
        "peak_score": max(m["peak_score"] for m in members),
        "sources": sorted({s for m in members for s in m["sources"]}),
        "hosts": sorted({m["host"] for m in members}),
        "metrics": metrics,
        "keys": sorted(m["key"] for m in members),
    }


def wave_sentence(wave: dict) -> str:
    """`Mon 09 Nov: 20 incidents on 5 hosts began together, from 09:29 to 16:07 UTC (…)`."""
    return (
        f"{len(wave['keys'])} series on {len(wave['hosts'])} hosts ({', '.join(wave['hosts'])}) turned "
        f"anomalous together {span(wave['start'], wave['end'])}, each beginning within "
        f"{ONSET_GAP.total_seconds() / 60:.0f} minutes of another ({', '.join(wave['metrics'])}; "
        f"score up to {wave['peak_score']:.2f}): one change seen on many hosts."
    )
