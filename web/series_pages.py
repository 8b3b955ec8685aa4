"""Pages of series: a browser searching by metric and labels, and one series' chart."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from ingestion.models import Series
from ingestion.queries import select_series
from ingestion.selectors import SelectorError, parse_selector
from web import series_queries
from web.anomaly_queries import series_chart, series_stamp
from web.charts import render_chart, render_sparkline
from web.live import json_login_required, live_context, live_response
from web.silence_pages import series_silence_context
from web.time_picker import RANGES, pick_range

PAGE_SIZE = 50
SPARK_SPAN = dt.timedelta(hours=24)
LABEL_PREFIX = "label:"
WINDOWS = ("15m", "1h", "6h", "1d")
DEFAULT_RANGES = ("1h", "6h", "24h", "7d")  # the series page's default, by the series' age
K_CHOICES = ("2", "3", "4")
DETAIL_FRAGMENTS = {
    "chart": "ingestion/_series_chart.html",
    "stats": "ingestion/_series_stats.html",
    "events": "ingestion/_series_events.html",
}


def filtered_series(request, label_choices: dict[str, list[str]]):
    """Series matching the search form: text, selector, metric and label pickers."""
    params = request.GET
    queryset = Series.objects.select_related("source").order_by("key")
    if text := params.get("q", "").strip():
        queryset = queryset.filter(Q(key__icontains=text))
    if selector := params.get("match", "").strip():
        try:
            queryset = select_series(parse_selector(selector), queryset)
        except SelectorError as exc:
            messages.error(request, f"Selector: {exc}")
            queryset = queryset.none()
    if metric := params.get("metric"):
        queryset = queryset.filter(metric=metric)
    for name in label_choices:
        if value := params.get(LABEL_PREFIX + name):
            queryset = queryset.filter(labels__contains={name: value})
    return queryset


@login_required
def series_list(request):
    label_choices = series_queries.label_pairs()
    page = Paginator(filtered_series(request, label_choices), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    ids = [s.pk for s in rows]
    last = series_queries.last_points(ids)
    sparks = series_queries.sparklines(ids, timezone.now(), SPARK_SPAN)
    for series in rows:
        series.last_point = last.get(series.pk)
        series.spark = mark_safe(render_sparkline(sparks.get(series.pk, []), series.key))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "metrics": Series.objects.order_by("metric").values_list("metric", flat=True).distinct(),
        "labels": [
            (name, LABEL_PREFIX + name, values, request.GET.get(LABEL_PREFIX + name, ""))
            for name, values in label_choices.items()
        ],
        "params": request.GET,
        "page_query": query.urlencode(),
    }
    return render(request, "ingestion/series_list.html", context)


def chart_options(params) -> tuple[str, float]:
    window = params.get("window") if params.get("window") in WINDOWS else "1h"
    k = params.get("k") if params.get("k") in K_CHOICES else "3"
    return window, float(k)


def default_range(series: Series, now: dt.datetime) -> str:
    """The shortest preset that shows all of a young series, a week of an older one.

    A week shows a daily cycle seven times and the last days' incidents (a
    day would hide one of three days ago); a series only an hour old is
    drawn over its hour, not as a sliver at the edge of a week.
    """
    age = now - series.first_ts if series.first_ts else dt.timedelta(0)
    return next((key for key in DEFAULT_RANGES if RANGES[key] >= age), DEFAULT_RANGES[-1])


def detail_context(request, series: Series) -> dict:
    now = timezone.now()
    picked = pick_range(request.GET, now, default=default_range(series, now))
    window, k = chart_options(request.GET)
    zone = request.person_zone.name  # the person's (core.time_zones), chart and picker alike
    loaded = series_chart(series, picked.start, picked.end, window, k, now, zone)
    keep = {"window": window, "k": f"{k:g}"}
    return {
        "series": series,
        "picked": picked,
        "window": window,
        "k": f"{k:g}",
        "loaded": loaded,
        "chart": mark_safe(render_chart(loaded.chart)),
        "range_links": [
            (key, urlencode({**keep, "range": key, **({"end": picked.end_text} if picked.end_text else {})}))
            for key in RANGES
        ],
        "windows": WINDOWS,
        "k_choices": K_CHOICES,
        "now": now,
        "time_zone": zone,
    }


@login_required
def series_detail(request, pk: int):
    series = get_object_or_404(Series.objects.select_related("source"), pk=pk)
    stamp = series_stamp(series.pk)
    context = detail_context(request, series) | series_silence_context(request, series, timezone.now())
    if context["picked"].error:
        messages.error(request, f"End: {context['picked'].error}")
    if context["picked"].following:
        # The range as picked: a default that grows with the series' age must not change under a viewer.
        url = f"{reverse('series-live', args=[series.pk])}?{_chart_query(request, context['picked'].key)}"
        context |= live_context(url, stamp)
    return render(request, "ingestion/series_detail.html", context)


@json_login_required
def series_live(request, pk: int):
    series = get_object_or_404(Series.objects.select_related("source"), pk=pk)
    stamp = series_stamp(series.pk)
    return live_response(request, stamp, DETAIL_FRAGMENTS, lambda: detail_context(request, series))


def _chart_query(request, range_key: str) -> str:
    return urlencode(
        {"range": range_key, **{k: request.GET[k] for k in ("window", "k") if request.GET.get(k)}}
    )
