"""The small rules behind panels: ranges and the view's override, the step drawn,
names of peers, the model's checks, who owns a dashboard, and several series on one chart."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.time_range import TimeRangeError
from web.anomaly_queries import choose_step
from web.charts import render_chart
from web.charts_data import PALETTE, ChartData, Line
from web.models import Dashboard, Panel
from web.panel_data import MAX_BUCKETS, panel_step, peer_labels
from web.panel_ranges import parse_panel_range, view_range

NOW = dt.datetime(2026, 12, 3, 12, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text, span",
    [
        ("now-24h", dt.timedelta(hours=24)),
        (" now - 90m ", dt.timedelta(minutes=90)),
        ("now-2w", dt.timedelta(days=14)),
    ],
)
def test_a_panels_range_is_a_time_before_now_in_the_time_grammar(text, span):
    assert parse_panel_range(text) == span


@pytest.mark.parametrize(
    "text, message",
    [
        ("now", "is not a range such as now-24h"),
        ("24h", "is not a range such as now-24h"),
        ("2026-12-01", "is not a range such as now-24h"),
        ("now-0s", "must be a positive duration"),
        ("now-367d", "longer than 366 days"),
    ],
)
def test_a_range_that_is_not_one_is_refused_naming_it(text, message):
    with pytest.raises(TimeRangeError, match=message) as refused:
        parse_panel_range(text)
    assert refused.value.parameter == "range"


def test_the_view_gives_every_panel_its_span_and_end_or_leaves_each_its_own():
    own = view_range({}, NOW)
    fixed = view_range({"range": "6h", "end": "2026-12-02T10:00:00+01:00"}, NOW)

    assert own.following and own.window(dt.timedelta(hours=2), NOW) == (NOW - dt.timedelta(hours=2), NOW)
    end = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    assert fixed.window(dt.timedelta(hours=2), NOW) == (end - dt.timedelta(hours=6), end)
    assert fixed.query() == {"range": "6h", "end": "2026-12-02T09:00:00+00:00"}
    assert own.pinned(NOW) == {"end": "2026-12-03T12:00:30+00:00"}


def test_an_end_in_the_future_is_now():
    assert view_range({"end": "2030-01-01 00:00"}, NOW).end == NOW


def test_the_step_is_the_one_asked_for_unless_it_makes_too_many_buckets():
    panel = Panel(step="1m")

    assert panel_step(panel, dt.timedelta(hours=24)) == (dt.timedelta(minutes=1), "")
    step, note = panel_step(panel, dt.timedelta(days=30))
    assert step == choose_step(dt.timedelta(days=30), MAX_BUCKETS) == dt.timedelta(minutes=30)
    assert note == f"drawn in 30m buckets: the step of 1m would make more than {MAX_BUCKETS} over this window"
    assert panel_step(Panel(step=""), dt.timedelta(hours=24)) == (choose_step(dt.timedelta(hours=24)), "")


def test_peers_are_named_by_what_sets_them_apart():
    web = [("cpu", {"host": "web-1", "dc": "a"}), ("cpu", {"host": "web-2", "dc": "a"})]
    assert peer_labels(web) == ['{host="web-1"}', '{host="web-2"}']
    assert peer_labels([("cpu", {"host": "web-1"})]) == ['cpu{host="web-1"}']
    assert peer_labels([("cpu", {"host": "a"}), ("mem", {"host": "a"})]) == ["cpu", "mem"]
    assert peer_labels([("disk", {"mount": "/"}), ("disk", {})]) == ['{mount="/"}', "disk"]
    assert peer_labels([("up", {"job": 'a"b'}), ("up", {"job": "c"})]) == ['{job="a\\"b"}', '{job="c"}']


@pytest.mark.django_db
def test_the_model_checks_a_panel_as_the_api_does():
    panel = Panel(selector=' up{job=~"(?=x)"} ', step="2d", range="now-1d")

    with pytest.raises(ValidationError) as refused:
        panel.clean()

    assert set(refused.value.message_dict) == {"selector", "step"}
    assert "lookaround" in refused.value.message_dict["selector"][0]
    good = Panel(selector=" up ", step=" 5m ", range=" now-1d ")
    good.clean()
    assert (good.selector, good.step, good.range) == ("up", "5m", "now-1d")


@pytest.mark.django_db
def test_a_dashboard_is_owned_by_its_owner_only(ann, ben):
    dashboard = Dashboard(owner=ann, title="x")

    assert dashboard.is_owned_by(ann)
    assert not dashboard.is_owned_by(ben)
    assert not dashboard.is_owned_by(AnonymousUser())
    assert not dashboard.is_owned_by(None)


def test_a_chart_draws_several_series_each_in_its_colour_with_a_legend_key():
    start = timezone.now().replace(microsecond=0)
    ts = start.timestamp() + 60 * np.arange(5.0)
    lines = [Line(ts, np.arange(5.0), '{host="a"}'), Line(ts, np.full(5, 9.0), '{host="<b>"}')]

    html = render_chart(
        ChartData(start, start + dt.timedelta(minutes=5), np.array([]), np.array([]), lines=lines)
    )

    assert html.count('class="value-line series-line"') == 2
    assert f'style="--value:{PALETTE[0]}" data-series="{{host=&quot;a&quot;}}"' in html
    assert (
        f'<span class="key key-value" style="--value:{PALETTE[1]}">{{host=&quot;&lt;b&gt;&quot;}}</span>'
        in html
    )
    assert ">value<" not in html  # no key for the empty single value


def test_a_chart_without_lines_draws_its_one_value_as_before():
    start = timezone.now().replace(microsecond=0)
    html = render_chart(
        ChartData(
            start, start + dt.timedelta(minutes=5), start.timestamp() + 60 * np.arange(5.0), np.arange(5.0)
        )
    )

    assert "series-line" not in html and html.count('class="value-line"') == 1
    assert '<span class="key key-value">value</span>' in html
