"""JobRun is core's now (core 0001): only Django's state forgets it here; the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0012_grafana_views_over_chunks"),
        ("core", "0001_jobs_from_analytics_and_monitoring"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="JobRun")]),
    ]
