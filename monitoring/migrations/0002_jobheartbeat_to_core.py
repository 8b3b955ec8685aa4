"""JobHeartbeat is core's now (core 0001): only Django's state forgets it here; the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_job_heartbeats"),
        ("core", "0001_jobs_from_analytics_and_monitoring"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="JobHeartbeat")]),
    ]
