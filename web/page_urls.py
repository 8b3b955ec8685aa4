"""Routes of the server-rendered pages (all behind login)."""

from django.urls import include, path

from web import (
    anomaly_pages,
    overview_pages,
    preference_pages,
    rule_pages,
    series_pages,
    silence_pages,
    verdict_pages,
)

urlpatterns = [
    path("", overview_pages.overview, name="overview"),
    path("live/overview.json", overview_pages.overview_live, name="overview-live"),
    path("preferences/", preference_pages.preferences, name="preferences"),
    path("series/", series_pages.series_list, name="series-list"),
    path("series/<int:pk>/", series_pages.series_detail, name="series-detail"),
    path("series/<int:pk>/live.json", series_pages.series_live, name="series-live"),
    path("anomalies/", anomaly_pages.anomaly_list, name="anomaly-list"),
    path("anomalies/<int:pk>/false-positive", verdict_pages.mark_false_positive, name="false-positive-mark"),
    path(
        "anomalies/false-positives/<int:pk>/remove",
        verdict_pages.unmark_false_positive,
        name="false-positive-remove",
    ),
    path("alerts/", anomaly_pages.alert_list, name="alert-list"),
    path("alerts/<int:pk>/acknowledge", anomaly_pages.acknowledge_alert, name="alert-acknowledge"),
    path("alerts/<int:pk>/silence", silence_pages.silence_alert, name="alert-silence"),
    path("alerts/rules/", rule_pages.rule_list, name="rule-list"),
    path("alerts/rules/new", rule_pages.rule_new, name="rule-new"),
    path("alerts/rules/<int:pk>/", rule_pages.rule_edit, name="rule-edit"),
    path("alerts/silences/", silence_pages.silence_list, name="silence-list"),
    path("alerts/silences/<int:pk>/expire", silence_pages.expire_silence, name="silence-expire"),
    path("series/<int:pk>/silence/", silence_pages.silence_series, name="series-silence"),
    path("dashboards/", include("web.dashboard_urls")),
]
