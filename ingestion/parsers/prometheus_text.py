"""Prometheus exposition text (what ``/metrics`` pages serve), for scraping.

Parsed with `prometheus_client`'s own parser, one sample line at a time, so a
bad line is reported with its line number and the page's other samples are
kept, as Prometheus itself would not (it drops the whole scrape) but as
tsmon's "one bad line never costs the good ones" asks.

- Every sample line is one sample; its name is the metric (histogram and
  summary series keep their ``_bucket`` / ``_sum`` / ``_count`` suffixes).
  ``# HELP`` and ``# TYPE`` lines are read past: a series' kind is not
  derived from them.
- A sample's own timestamp (milliseconds) is kept; without one it gets the
  scrape time.
- Target labels (``job``, ``instance``) are added to every sample. A scraped
  label with the same key is kept as ``exported_<key>``, as Prometheus does
  with ``honor_labels: false``.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from ingestion.parsers.result import ParseResult, shorten
from ingestion.samples import Labels, LineError, Sample


def parse_exposition(text: str, now_us: int, target_labels: Labels = ()) -> ParseResult:
    """Parse an exposition page into samples, one error per unreadable line.

    Parameters
    ----------
    text : the page, decoded.
    now_us : the scrape time (µs since the epoch), for samples without a timestamp.
    target_labels : canonical labels added to every sample.
    """
    samples: list[Sample] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        try:
            parsed = [
                sample for family in text_string_to_metric_families(line + "\n") for sample in family.samples
            ]
        # The parser is a third party's; whatever it raises about one line
        # must not cost the rest of the page.
        except Exception as exc:  # noqa: BLE001
            errors.append(LineError(number, f"not a Prometheus sample line: {exc}"[:200], shorten(line)))
            continue
        for item in parsed:
            try:
                ts_us = now_us if item.timestamp is None else round(float(item.timestamp) * 1_000_000)
                value = float(item.value)
            except (ValueError, OverflowError):
                errors.append(LineError(number, "bad timestamp or value", shorten(line)))
                continue
            labels = _with_target_labels(item.labels, target_labels)
            samples.append(Sample(item.name, labels, ts_us, value, number))
    return ParseResult(samples, errors)


def _with_target_labels(labels: dict[str, str], target_labels: Labels) -> Labels:
    if not target_labels:
        return tuple(sorted(labels.items()))
    merged = dict(labels)
    for key, value in target_labels:
        if key in merged:
            merged[f"exported_{key}"] = merged.pop(key)
        merged[key] = value
    return tuple(sorted(merged.items()))
