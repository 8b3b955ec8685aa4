"""The alerting models, made in the analytics app (analytics 0003 onwards), become
the alerts app's. Only Django's state moves: the tables keep their names
(analytics_alertrule, ...), so no row moves and the SQL views that read them keep
working. The content types follow, so permissions granted on them stay granted.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["alert", "alertrule", "delivery", "notification", "notificationchannel", "silence"]


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="analytics", model__in=MOVED).update(app_label="alerts")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="alerts", model__in=MOVED).update(app_label="analytics")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("analytics", "0014_alerts_to_alerts_app"),
        ("ingestion", "0007_rate_units"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NotificationChannel",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    (
                                        "webhook",
                                        "webhook receiver (the JSON Alertmanager sends its receivers)",
                                    ),
                                    ("email", "e-mail"),
                                    ("alertmanager", "Alertmanager (pushed to its API, as Prometheus does)"),
                                    ("slack", "Slack-compatible incoming webhook"),
                                    ("dingtalk", "DingTalk robot webhook"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("url", models.URLField(blank=True, max_length=500)),
                        (
                            "addresses",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.CharField(max_length=254),
                                blank=True,
                                default=list,
                                size=None,
                            ),
                        ),
                        ("secret", models.CharField(blank=True, max_length=200)),
                        (
                            "message_format",
                            models.CharField(
                                choices=[("markdown", "markdown"), ("text", "plain text")],
                                default="markdown",
                                max_length=16,
                            ),
                        ),
                        ("disabled_reason", models.TextField(blank=True)),
                        ("disabled_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "analytics_notificationchannel",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="AlertRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("threshold", "value op limit"),
                                    ("anomaly", "anomaly score ≥ s for a fraction of the window"),
                                    ("anomaly_threshold", "anomaly AND value op limit"),
                                    ("forecast", "forecast band crosses a limit within the horizon"),
                                    ("no_data", "no points for the window"),
                                ],
                                max_length=24,
                            ),
                        ),
                        (
                            "selector",
                            models.TextField(
                                help_text='Prometheus-style selector, e.g. cpu_usage_percent{host=~"web-.*"}'
                            ),
                        ),
                        (
                            "operator",
                            models.CharField(
                                choices=[
                                    (">", ">"),
                                    (">=", ">="),
                                    ("<", "<"),
                                    ("<=", "<="),
                                    ("==", "=="),
                                    ("!=", "!="),
                                ],
                                default=">",
                                max_length=2,
                            ),
                        ),
                        ("threshold", models.FloatField(blank=True, null=True)),
                        ("min_score", models.FloatField(default=0.8)),
                        ("min_fraction", models.FloatField(default=0.5)),
                        ("window_seconds", models.PositiveIntegerField(default=300)),
                        ("horizon_seconds", models.PositiveIntegerField(default=86400)),
                        ("forecast_level", models.PositiveSmallIntegerField(default=80)),
                        ("for_seconds", models.PositiveIntegerField(default=0)),
                        ("keep_firing_for_seconds", models.PositiveIntegerField(default=0)),
                        ("repeat_interval_seconds", models.PositiveIntegerField(default=14400)),
                        (
                            "severity",
                            models.CharField(
                                choices=[("critical", "critical"), ("warning", "warning"), ("info", "info")],
                                default="warning",
                                max_length=16,
                            ),
                        ),
                        ("labels", models.JSONField(blank=True, default=dict)),
                        ("summary", models.TextField(blank=True)),
                        ("annotations", models.JSONField(blank=True, default=dict)),
                        (
                            "group_by",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.CharField(max_length=100),
                                blank=True,
                                default=list,
                                size=None,
                            ),
                        ),
                        ("enabled", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "detector",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to="analytics.detector",
                            ),
                        ),
                        (
                            "channels",
                            models.ManyToManyField(
                                blank=True, related_name="rules", to="alerts.notificationchannel"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "analytics_alertrule",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("status", models.CharField(max_length=16)),
                        ("group_key", models.TextField()),
                        ("payload", models.JSONField()),
                        (
                            "alert_ids",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.BigIntegerField(), default=list, size=None
                            ),
                        ),
                        ("created_at", models.DateTimeField()),
                        ("next_attempt_at", models.DateTimeField()),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("claimed_until", models.DateTimeField(blank=True, null=True)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("pending", "pending"),
                                    ("sent", "sent"),
                                    ("failed", "failed"),
                                    ("dropped", "dropped (channel disabled)"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        (
                            "rule",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="notifications",
                                to="alerts.alertrule",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="alerts.notificationchannel",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "analytics_notification",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Delivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("attempted_at", models.DateTimeField()),
                        ("duration_ms", models.FloatField()),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("ok", "ok"),
                                    ("temporary_failure", "failed, will retry"),
                                    ("permanent_failure", "failed permanently"),
                                ],
                                max_length=24,
                            ),
                        ),
                        ("http_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("error", models.TextField(blank=True)),
                        (
                            "notification",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="alerts.notification",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="alerts.notificationchannel",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "deliveries",
                        "db_table": "analytics_delivery",
                        "ordering": ["-attempted_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Silence",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "matchers",
                            models.TextField(
                                help_text='Label matchers, e.g. {alertname="HighCPU", host=~"web-.*"}'
                            ),
                        ),
                        ("starts_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("ends_at", models.DateTimeField()),
                        ("comment", models.TextField(blank=True)),
                        ("created_by", models.CharField(blank=True, max_length=150)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "analytics_silence",
                        "ordering": ["-starts_at"],
                        "indexes": [models.Index(fields=["ends_at"], name="silence_ends_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="Alert",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("inactive", "inactive"),
                                    ("pending", "pending"),
                                    ("firing", "firing"),
                                    ("recovering", "recovering"),
                                    ("resolved", "resolved"),
                                ],
                                default="inactive",
                                max_length=16,
                            ),
                        ),
                        ("labels", models.JSONField(default=dict)),
                        ("started_at", models.DateTimeField()),
                        ("fired_at", models.DateTimeField(blank=True, null=True)),
                        ("recovering_since", models.DateTimeField(blank=True, null=True)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("last_evaluated_at", models.DateTimeField(blank=True, null=True)),
                        ("value", models.FloatField(blank=True, null=True)),
                        ("expected", models.FloatField(blank=True, null=True)),
                        ("lo", models.FloatField(blank=True, null=True)),
                        ("hi", models.FloatField(blank=True, null=True)),
                        ("score", models.FloatField(blank=True, null=True)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                        ("acknowledged_by", models.CharField(blank=True, max_length=150)),
                        ("last_notified_at", models.DateTimeField(blank=True, null=True)),
                        ("last_pushed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "series",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="alerts",
                                to="ingestion.series",
                            ),
                        ),
                        (
                            "rule",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="alerts",
                                to="alerts.alertrule",
                            ),
                        ),
                        (
                            "silenced_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to="alerts.silence",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "analytics_alert",
                        "ordering": ["-started_at", "-id"],
                    },
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        condition=models.Q(("processed_at__isnull", True)),
                        fields=["next_attempt_at"],
                        name="notification_due_idx",
                    ),
                ),
                migrations.AddIndex(
                    model_name="delivery",
                    index=models.Index(fields=["-attempted_at", "-id"], name="delivery_attempted_idx"),
                ),
                migrations.AddIndex(
                    model_name="delivery",
                    index=models.Index(fields=["channel", "-attempted_at"], name="delivery_channel_idx"),
                ),
                migrations.AddIndex(
                    model_name="alert",
                    index=models.Index(fields=["rule", "state"], name="alert_rule_state_idx"),
                ),
                migrations.AddIndex(
                    model_name="alert",
                    index=models.Index(fields=["-started_at", "-id"], name="alert_started_idx"),
                ),
                migrations.AddIndex(
                    model_name="alert",
                    index=models.Index(fields=["series", "-started_at"], name="alert_series_started_idx"),
                ),
                migrations.AddConstraint(
                    model_name="alert",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("state__in", ("pending", "firing", "recovering"))),
                        fields=("rule", "series"),
                        name="one_open_alert_per_rule_series",
                    ),
                ),
            ]
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
