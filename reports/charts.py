"""Report charts: matplotlib (Agg) figures as inline SVG strings.

Charts are drawn from a report's JSON content, so the HTML and the JSON of
one report always show the same numbers. Text stays text in the SVG
(`svg.fonttype: none`): smaller files, selectable labels, and the reader's
own sans-serif font, with nothing fetched from anywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

HISTORY = "#1d2330"
FORECAST = "#2d6cdf"
LIMIT = "#c0392b"
ANOMALY = "#c0392b"
STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa3b2",
    "axes.grid": True,
    "grid.color": "#e6e9ef",
    "grid.linewidth": 0.6,
    "svg.hashsalt": "tsmon",  # stable element ids: the same report renders to the same bytes
}


def forecast_chart(section: dict, title: str = "") -> str:
    """History, forecast mean with 80/95 % bands, the limit and when it is reached."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.0, 3.0))
        times, values = _columns(section["history"])
        ax.plot(times, values, color=HISTORY, linewidth=1.0, label="history (hourly mean)")
        if section["forecast"]:
            rows = section["forecast"]
            ts = [_dt(r["ts"]) for r in rows]
            for level, alpha in ((95, 0.15), (80, 0.3)):
                lo, hi = _column(rows, f"lo-{level}"), _column(rows, f"hi-{level}")
                if lo and hi:
                    ax.fill_between(
                        ts, lo, hi, color=FORECAST, alpha=alpha, linewidth=0, label=f"{level} % interval"
                    )
            ax.plot(
                ts, _column(rows, "mean"), color=FORECAST, linewidth=1.3, linestyle="--", label="forecast"
            )
            ax.axvline(ts[0], color="#9aa3b2", linewidth=0.8)
        _limit(ax, section)
        _keep_in_view(ax, values, section.get("threshold"), section.get("bounds") or (None, None))
        _finish(ax, section.get("unit", ""), title)
        return _svg(fig)


def event_chart(event: dict) -> str:
    """The event in context: values, the detector's expected band at its points, the anomalies."""
    chart = event["chart"]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(3.9, 1.9))
        times, values = _columns(chart["context"])
        ax.plot(times, values, color=HISTORY, linewidth=0.9)
        flagged = [row for row in chart["flagged"] if row[1] is not None]
        banded = [row for row in flagged if row[3] is not None and row[4] is not None]
        if banded:
            ts = [_dt(r[0]) for r in banded]
            ax.fill_between(
                ts, [r[3] for r in banded], [r[4] for r in banded], color=FORECAST, alpha=0.25,
                linewidth=0, step="mid", label="expected band",
            )  # fmt: skip
            ax.plot(
                ts, [r[2] for r in banded], color=FORECAST, linewidth=0.9, linestyle="--", label="expected"
            )
        ax.scatter(
            [_dt(r[0]) for r in flagged],
            [r[1] for r in flagged],
            s=9,
            color=ANOMALY,
            zorder=3,
            label="anomalous",
        )
        ax.axvspan(_dt(event["start"]), _dt(event["end"]), color=ANOMALY, alpha=0.07, linewidth=0)
        _finish(ax, event.get("unit", ""), "", legend=False)
        return _svg(fig)


def _limit(ax, section: dict) -> None:
    if section.get("threshold") is None:
        return
    ax.axhline(
        section["threshold"],
        color=LIMIT,
        linewidth=0.9,
        linestyle=":",
        label=f"limit {section['threshold']:g}",
    )
    crossing = section.get("crossing")
    if crossing and crossing.get("expected"):
        ax.axvline(_dt(crossing["expected"]), color=LIMIT, linewidth=0.9)
        if crossing.get("earliest"):
            # No latest: the interval's lower edge stays below the limit to the horizon's end.
            latest = crossing["latest"] or section.get("horizon_end") or crossing["expected"]
            ax.axvspan(_dt(crossing["earliest"]), _dt(latest), color=LIMIT, alpha=0.12, linewidth=0)


def _keep_in_view(ax, history: list, threshold: float | None, bounds) -> None:
    """Keep the y axis on the history and the limit: a forecast running far past
    the limit (or an interval widening without bound) must not flatten the rest.
    Nor does the axis run past what the series can take (above 100 %)."""
    known = [v for v in history if v == v]
    if not known:
        return
    low, high = min(known), max(known)
    if threshold is not None:
        low, high = min(low, threshold), max(high, threshold)
    margin = 0.3 * (high - low or abs(high) or 1.0)
    bottom, top = ax.get_ylim()
    bottom, top = max(bottom, low - margin), min(top, high + margin)
    lower, upper = bounds
    # A hair past the bound, so that a line at 100 % is drawn inside the axes.
    pad = 0.01 * (top - bottom)
    if lower is not None:
        bottom = max(bottom, lower - pad)
    if upper is not None:
        top = min(top, upper + pad)
    ax.set_ylim(bottom, top)


def _finish(ax, unit: str, title: str, legend: bool = True) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    # Units and titles come from users: "$...$" in them is text, not mathtext
    # (which would draw it as a formula, or fail on an unknown "\command").
    if unit:
        ax.set_ylabel(unit, parse_math=False)
    if title:
        ax.set_title(title, loc="left", fontsize=9, parse_math=False)
    if legend:
        # Below the axes: inside them, the legend covers the data it explains.
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), fontsize=7.5, frameon=False, ncol=5)
    ax.figure.tight_layout(pad=0.4)


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Scale with the page instead of keeping matplotlib's fixed size in points.
    return re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 width="100%"', text, count=1)


def _columns(points: list[list]) -> tuple[list, list]:
    times = [_dt(p[0]) for p in points]
    values = [float("nan") if p[1] is None else p[1] for p in points]
    return times, values


def _column(rows: list[dict], name: str) -> list:
    if name not in rows[0]:
        return []
    return [float("nan") if r[name] is None else r[name] for r in rows]


def _dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
