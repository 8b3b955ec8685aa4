"""The forecast report: per series, history with forecast and bands, values at horizons, model skill."""

from __future__ import annotations

from reports.builders.coverage import describe_coverage
from reports.builders.forecast_sections import forecast_section
from reports.builders.input_types import ReportRequest, SeriesForecastInput
from reports.builders.limit_sentences import chance_sentences, reaching_sentences
from reports.builders.outline import report, table
from reports.builders.words import parse_horizon

DEFAULT_HORIZONS = ("1h", "6h", "1d", "3d", "7d")


def build_forecast_report(request: ReportRequest, forecasts: list[SeriesForecastInput], coverage) -> dict:
    horizons = [(text, parse_horizon(text)) for text in request.params.get("horizons", DEFAULT_HORIZONS)]
    horizon_days = max(delta for _, delta in horizons).total_seconds() / 86400
    sections = [forecast_section(item, horizons, request.end) for item in forecasts]
    forecasted = [s for s in sections if s["forecast"]]
    summary = reaching_sentences(forecasted, horizon_days) + chance_sentences(forecasted)
    summary.append(method_sentence(forecasted, len(sections)))
    skipped = [s for s in sections if not s["forecast"]]
    if skipped:
        summary.append(f"Not forecast (too little data): {', '.join(s['name'] for s in skipped)}.")
    tables = {
        "forecast": table(
            "Expected values at horizons",
            ["series", "horizon", "ts", "mean", "lo-80", "hi-80", "lo-95", "hi-95"],
            [_horizon_row(s, h) for s in sections for h in s["horizons"]],
        ),
        "models": table(
            "Models and skill",
            ["series", "model", "method", "mae", "seasonal_naive_mae", "ratio_to_seasonal_naive", "full_at"],
            [_model_row(s) for s in forecasted],
            shown=["series", "method", "mae", "seasonal_naive_mae", "ratio_to_seasonal_naive", "full_at"],
        ),
    }
    data = describe_coverage(coverage, request.start, request.end)
    return report(request, summary, data, tables, series=sections, horizon_days=horizon_days)


def method_sentence(forecasted: list[dict], n_series: int) -> str:
    """How many forecasts beat the baseline, and how many are the baseline itself."""
    baseline = sum(1 for s in forecasted if s["baseline"])
    beats = sum(1 for s in forecasted if not s["baseline"] and (_ratio(s) or 1) < 1)
    other = len(forecasted) - baseline - beats
    sentence = (
        f"{len(forecasted)} of {n_series} series forecast: {beats} by a model that beat seasonal naive "
        f"on the held-out recent history, {baseline} by seasonal naive itself (the last day repeated: "
        f"no other model tried did clearly better)"
    )
    return sentence + (f", {other} by a model no better than seasonal naive." if other else ".")


def _horizon_row(section: dict, h: dict) -> list:
    return [
        section["key"],
        h["horizon"],
        h["ts"],
        *(h.get(c) for c in ("mean", "lo-80", "hi-80", "lo-95", "hi-95")),
    ]


def _model_row(section: dict) -> list:
    skill, crossing = section["skill"], section["crossing"]
    return [
        section["key"],
        section["model"],
        section["method"],
        skill.get("mae"),
        skill.get("seasonal_naive_mae"),
        skill.get("ratio_to_seasonal_naive"),
        crossing["expected"] if crossing else None,
    ]


def _ratio(section: dict) -> float | None:
    return section["skill"].get("ratio_to_seasonal_naive")
