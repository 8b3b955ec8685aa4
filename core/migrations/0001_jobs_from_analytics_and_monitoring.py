"""JobRun (from analytics) and JobHeartbeat (from monitoring) become core's.

Only Django's state moves: the tables keep their names (analytics_jobrun,
monitoring_jobheartbeat), so no row moves and the SQL views that read them
keep working. The content types follow, so permissions granted on the two
models stay granted.
"""

import django.utils.timezone
from django.db import migrations, models

MOVED = {"jobrun": "analytics", "jobheartbeat": "monitoring"}


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        content_types.objects.filter(app_label=old_app, model=model).update(app_label="core")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        content_types.objects.filter(app_label="core", model=model).update(app_label=old_app)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("analytics", "0012_grafana_views_over_chunks"),
        ("monitoring", "0001_job_heartbeats"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JobHeartbeat",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("job", models.CharField(max_length=100, unique=True)),
                        ("first_run_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("last_success_at", models.DateTimeField(blank=True, null=True)),
                        ("last_failure_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("consecutive_failures", models.PositiveIntegerField(default=0)),
                        ("last_duration_seconds", models.FloatField(default=0.0)),
                    ],
                    options={
                        "db_table": "monitoring_jobheartbeat",
                        "ordering": ["job"],
                    },
                ),
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("job", models.CharField(max_length=100)),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("running", "running"),
                                    ("ok", "ok"),
                                    ("failed", "failed"),
                                    ("abandoned", "abandoned (its process ended mid-run)"),
                                ],
                                default="running",
                                max_length=16,
                            ),
                        ),
                        ("n_series", models.PositiveIntegerField(default=0)),
                        ("n_points", models.BigIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("worker", models.CharField(blank=True, max_length=200)),
                        ("details", models.JSONField(blank=True, default=dict)),
                    ],
                    options={
                        "db_table": "analytics_jobrun",
                        "ordering": ["-started_at"],
                        "indexes": [
                            models.Index(fields=["job", "-started_at"], name="jobrun_job_started_idx")
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
