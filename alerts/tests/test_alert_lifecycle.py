"""The alert lifecycle: pending held `for`, firing, recovering, resolved;
de-duplication, repeat interval, acknowledge, silences and grouping."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.jobs import evaluate_alert_rules
from alerts.models import Alert, AlertRule, Notification, Silence
from alerts.tests.alert_helpers import MINUTE, NOW, forget_caches, make_rule, store, webhook_channel

HIGH = [95.0] * 60
LOW = [10.0] * 60


@pytest.fixture(autouse=True)
def _clean_caches(db):
    forget_caches()


@pytest.fixture
def channel(db):
    return webhook_channel("http://127.0.0.1:9/never-called")


def only_alert(rule) -> Alert:
    (alert,) = Alert.objects.filter(rule=rule)
    return alert


def statuses(rule) -> list[str]:
    return list(Notification.objects.filter(rule=rule).order_by("id").values_list("status", flat=True))


# -- the state machine on its own ---------------------------------------------


def machine(state, started_ago=0, recovering_ago=None, for_seconds=0, keep_firing_for_seconds=0) -> Alert:
    rule = AlertRule(for_seconds=for_seconds, keep_firing_for_seconds=keep_firing_for_seconds)
    since = NOW - dt.timedelta(seconds=recovering_ago) if recovering_ago is not None else None
    return Alert(
        rule=rule, state=state, started_at=NOW - dt.timedelta(seconds=started_ago), recovering_since=since
    )


@pytest.mark.parametrize(
    ("alert", "condition", "expected"),
    [
        (machine("inactive"), True, "firing"),
        (machine("inactive", for_seconds=60), True, "pending"),
        (machine("inactive"), False, "inactive"),
        (machine("pending", started_ago=30, for_seconds=60), True, "pending"),
        (machine("pending", started_ago=60, for_seconds=60), True, "firing"),
        (machine("pending", started_ago=30, for_seconds=60), False, "inactive"),
        (machine("firing"), True, "firing"),
        (machine("firing"), False, "resolved"),
        (machine("firing", keep_firing_for_seconds=300), False, "recovering"),
        (machine("recovering", recovering_ago=100, keep_firing_for_seconds=300), False, "recovering"),
        (machine("recovering", recovering_ago=300, keep_firing_for_seconds=300), False, "resolved"),
        (machine("recovering", recovering_ago=100, keep_firing_for_seconds=300), True, "firing"),
    ],
)
def test_next_state_follows_the_prometheus_lifecycle(alert, condition, expected):
    assert alert.next_state(condition, NOW) == expected


# -- through the evaluation job -------------------------------------------------


def test_an_alert_stays_pending_until_its_condition_has_held_for_the_for_duration(channel):
    store(HIGH)
    rule = make_rule(for_seconds=120, window_seconds=3600, channels=[channel])

    evaluate_alert_rules(NOW)
    alert = only_alert(rule)
    assert (alert.state, alert.started_at, alert.fired_at) == ("pending", NOW, None)
    evaluate_alert_rules(NOW + MINUTE)
    assert only_alert(rule).state == "pending"
    assert statuses(rule) == []

    evaluate_alert_rules(NOW + 2 * MINUTE)
    alert = only_alert(rule)
    assert (alert.state, alert.fired_at, alert.value) == ("firing", NOW + 2 * MINUTE, 95.0)
    assert statuses(rule) == ["firing"]


def test_a_pending_alert_whose_condition_clears_becomes_inactive_without_notifying(channel):
    store(HIGH)
    rule = make_rule(for_seconds=300, channels=[channel])
    evaluate_alert_rules(NOW)
    store([10.0], end=NOW + MINUTE)

    evaluate_alert_rules(NOW + MINUTE)

    alert = only_alert(rule)
    assert (alert.state, alert.resolved_at, alert.fired_at) == ("inactive", NOW + MINUTE, None)
    assert statuses(rule) == []


def test_a_firing_alert_recovers_for_keep_firing_for_then_resolves(channel):
    series = store(HIGH)
    rule = make_rule(keep_firing_for_seconds=300, channels=[channel])
    evaluate_alert_rules(NOW)
    assert only_alert(rule).state == "firing"

    store([10.0], end=NOW + MINUTE)
    evaluate_alert_rules(NOW + MINUTE)
    alert = only_alert(rule)
    assert (alert.state, alert.recovering_since) == ("recovering", NOW + MINUTE)

    store([96.0], end=NOW + 2 * MINUTE)  # flaps back within the window: the same alert fires on
    evaluate_alert_rules(NOW + 2 * MINUTE)
    alert = only_alert(rule)
    assert (alert.state, alert.recovering_since, alert.value) == ("firing", None, 96.0)

    store([10.0], end=NOW + 3 * MINUTE)
    evaluate_alert_rules(NOW + 3 * MINUTE)
    evaluate_alert_rules(NOW + 7 * MINUTE)
    assert only_alert(rule).state == "recovering"
    evaluate_alert_rules(NOW + 8 * MINUTE)

    alert = only_alert(rule)
    assert (alert.state, alert.resolved_at, alert.series_id) == ("resolved", NOW + 8 * MINUTE, series.pk)
    assert statuses(rule) == ["firing", "resolved"]


def test_without_keep_firing_for_an_alert_resolves_at_the_first_false_evaluation(channel):
    store(HIGH)
    rule = make_rule(channels=[channel])
    evaluate_alert_rules(NOW)
    store([10.0], end=NOW + MINUTE)

    evaluate_alert_rules(NOW + MINUTE)

    assert only_alert(rule).state == "resolved"
    assert statuses(rule) == ["firing", "resolved"]


def test_an_alert_resolves_when_its_series_stops_sending(channel):
    store(HIGH)
    rule = make_rule(window_seconds=300, channels=[channel])
    evaluate_alert_rules(NOW)

    evaluate_alert_rules(NOW + 10 * MINUTE)  # the latest point is older than the window

    assert only_alert(rule).state == "resolved"


def test_one_open_alert_per_rule_and_series_and_a_new_one_after_resolution(channel):
    store(HIGH)
    rule = make_rule(channels=[channel])
    for minutes in range(3):
        evaluate_alert_rules(NOW + minutes * MINUTE)
    assert Alert.objects.filter(rule=rule).count() == 1

    store([10.0], end=NOW + 3 * MINUTE)
    evaluate_alert_rules(NOW + 3 * MINUTE)
    store([97.0], end=NOW + 4 * MINUTE)
    evaluate_alert_rules(NOW + 4 * MINUTE)

    states = list(Alert.objects.filter(rule=rule).order_by("started_at").values_list("state", flat=True))
    assert states == ["resolved", "firing"]
    assert statuses(rule) == ["firing", "resolved", "firing"]


def test_a_firing_alert_notifies_again_after_the_repeat_interval(channel):
    store(HIGH)
    rule = make_rule(window_seconds=7200, repeat_interval_seconds=3600, channels=[channel])

    evaluate_alert_rules(NOW)
    evaluate_alert_rules(NOW + 30 * MINUTE)
    assert statuses(rule) == ["firing"]
    evaluate_alert_rules(NOW + 60 * MINUTE)

    assert statuses(rule) == ["firing", "firing"]
    assert only_alert(rule).last_notified_at == NOW + 60 * MINUTE


def test_an_acknowledged_alert_does_not_repeat_but_still_says_it_resolved(channel):
    store(HIGH)
    rule = make_rule(window_seconds=7200, repeat_interval_seconds=3600, channels=[channel])
    evaluate_alert_rules(NOW)
    only_alert(rule).acknowledge("alice", NOW + MINUTE)

    evaluate_alert_rules(NOW + 90 * MINUTE)
    assert statuses(rule) == ["firing"]
    store([10.0], end=NOW + 91 * MINUTE)
    evaluate_alert_rules(NOW + 91 * MINUTE)

    alert = only_alert(rule)
    assert (alert.state, alert.acknowledged_by) == ("resolved", "alice")
    assert statuses(rule) == ["firing", "resolved"]


def test_a_silenced_alert_changes_state_but_notifies_only_after_the_silence_ends(channel):
    store(HIGH)
    store(HIGH, labels={"host": "web-2"})
    rule = make_rule(window_seconds=7200, channels=[channel])
    silence = Silence.objects.create(
        matchers='{alertname="HighCPU", host="web-1"}', starts_at=NOW - MINUTE, ends_at=NOW + 10 * MINUTE
    )

    evaluate_alert_rules(NOW)
    alerts = {a.labels["host"]: a for a in Alert.objects.filter(rule=rule)}
    assert alerts["web-1"].state == alerts["web-2"].state == "firing"
    assert (alerts["web-1"].silenced_by_id, alerts["web-2"].silenced_by_id) == (silence.pk, None)
    (notification,) = Notification.objects.filter(rule=rule)
    assert notification.alert_ids == [alerts["web-2"].pk]

    evaluate_alert_rules(NOW + 10 * MINUTE)

    latest = Notification.objects.filter(rule=rule).latest("id")
    assert latest.alert_ids == [alerts["web-1"].pk]
    assert Alert.objects.get(pk=alerts["web-1"].pk).silenced_by_id is None


def test_alerts_of_one_rule_are_sent_together_unless_grouped_by_a_label(channel):
    for host in ("web-1", "web-2"):
        store(HIGH, labels={"host": host})
    together = make_rule(channels=[channel])
    apart = make_rule(name="HighCPUByHost", group_by=["host"], channels=[channel])

    evaluate_alert_rules(NOW)

    (one,) = Notification.objects.filter(rule=together)
    assert len(one.alert_ids) == 2 and one.payload["groupLabels"] == {"alertname": "HighCPU"}
    groups = sorted(n.payload["groupLabels"]["host"] for n in Notification.objects.filter(rule=apart))
    assert groups == ["web-1", "web-2"]


def test_disabled_rules_and_disabled_channels_stay_quiet(channel):
    store(HIGH)
    make_rule(enabled=False, channels=[channel])
    channel.disable("HTTP 404", NOW)
    quiet = make_rule(name="Quiet", channels=[channel])

    totals = evaluate_alert_rules(NOW)

    assert totals["rules"] == 1
    assert only_alert(quiet).state == "firing"
    assert Notification.objects.count() == 0


def test_a_broken_rule_does_not_stop_the_others(channel):
    store(HIGH)
    make_rule(name="Broken", selector="cpu{host=~")  # stored around the API's validation
    good = make_rule(channels=[channel])

    totals = evaluate_alert_rules(NOW)

    assert (totals["failed"], totals["rules"]) == (1, 1)
    assert only_alert(good).state == "firing"


def test_switching_a_rule_off_resolves_its_open_alerts_quietly(channel):
    store(HIGH)
    rule = make_rule(channels=[channel])
    evaluate_alert_rules(NOW)
    AlertRule.objects.filter(pk=rule.pk).update(enabled=False)

    totals = evaluate_alert_rules(NOW + MINUTE)

    assert totals["closed"] == 1
    assert (only_alert(rule).state, only_alert(rule).resolved_at) == ("resolved", NOW + MINUTE)
    assert statuses(rule) == ["firing"]


def test_templates_see_the_rule_as_plain_values_not_the_model(channel):
    store(HIGH)
    rule = make_rule(
        channels=[channel],
        summary="{{ rule.name }} {{ rule.operator }} {{ rule.threshold }} on {{ labels.host }}",
        annotations={"runbook": "https://runbooks.example.com/{{ rule.name }}", "oops": "{{ rule.delete }}"},
    )

    evaluate_alert_rules(NOW)

    notes = Notification.objects.get(rule=rule).payload["alerts"][0]["annotations"]
    assert notes["summary"] == "HighCPU > 90 on web-1"
    assert notes["runbook"] == "https://runbooks.example.com/HighCPU"
    assert notes["oops"] == ""
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_evaluation_costs_the_same_queries_for_any_number_of_series(channel):
    rule = make_rule(channels=[channel], window_seconds=7200)

    def queries_for(hosts, now):
        for host in hosts:
            store(HIGH, labels={"host": host})
        with CaptureQueriesContext(connection) as captured:
            evaluate_alert_rules(now)
        return len(captured)

    queries_for(["first"], NOW)
    few = queries_for([f"a-{i}" for i in range(3)], NOW + MINUTE)  # 1 open alert, 3 new
    many = queries_for([f"b-{i}" for i in range(30)], NOW + 2 * MINUTE)  # 4 open, 30 new

    assert few == many
    assert Alert.objects.filter(rule=rule, state="firing").count() == 34
