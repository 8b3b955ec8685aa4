"""Incidents and waves from hand-made events: no database."""

import datetime as dt

from reports.builders.incidents import find_incidents, incident_sentence
from reports.builders.waves import find_waves

END = dt.datetime(2026, 11, 16, 6, 0, tzinfo=dt.UTC)


def iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def event(rank, host, start, end, direction="above expected", window=None, detector="default", score=1.0):
    covers_from = start - window if window else start
    return {
        "rank": rank, "key": f'latency{{host="{host}"}}', "name": f"latency on {host}", "host": host,
        "start": iso(start), "end": iso(end), "covers_from": iso(covers_from),
        "window_seconds": window.total_seconds() if window else None,
        "duration_seconds": (end - start).total_seconds(), "peak_score": score,
        "direction": direction, "detector": detector,
    }  # fmt: skip


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 13, hour, minute, tzinfo=dt.UTC)


def test_a_shift_seen_by_a_point_detector_and_an_hourly_peer_detector_is_one_incident_at_the_points():
    hour = dt.timedelta(hours=1)
    events = [
        event(1, "web-2", at(9, 30), at(10, 47)),
        event(2, "web-2", at(10), at(13), window=hour, detector="peers"),  # windows 09:00-13:00
        event(3, "web-2", at(12, 30), at(12, 41), direction="below expected"),
    ]

    (incident,) = find_incidents(events, [], END)

    assert (incident["start"], incident["end"]) == ("2026-11-13T09:30:00Z", "2026-11-13T12:41:00Z")
    assert incident["sources"] == ["default", "peers"] and incident["window"] is None
    assert incident_sentence(incident) == (
        "latency on web-2: above, then below expected from Fri 13 Nov 09:30 to 12:41 UTC (3.2 hours, score 1.00)."
    )


def test_an_outage_only_a_peer_detector_saw_is_stated_as_its_window():
    (incident,) = find_incidents(
        [event(1, "web-4", at(4), at(4), "below expected", window=dt.timedelta(hours=1), detector="peers")],
        [],
        END,
    )

    assert incident_sentence(incident) == (
        "latency on web-4: below expected from Fri 13 Nov 03:00 to 04:00 UTC "
        "(1 hour, score 1.00, judged in 1-hour windows by detector “peers”)."
    )


def test_incidents_on_many_hosts_beginning_together_are_one_wave_and_the_lone_one_stays_alone():
    events = [event(n, f"web-{n}", at(10, 5 * n), at(11)) for n in range(1, 5)]
    events.append(event(9, "db-1", at(20), at(20, 6)))

    waves, alone = find_waves(find_incidents(events, [], END))

    assert [w["hosts"] for w in waves] == [["web-1", "web-2", "web-3", "web-4"]]
    assert [i["host"] for i in alone] == ["db-1"]
