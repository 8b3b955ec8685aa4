"""Leave room in series pages so the writer's first/last-point updates are HOT.

Every write batch moves `last_ts` of its series. With full pages each such
update is a new tuple elsewhere plus an entry in every index (the GIN label
index too); with free space on the page PostgreSQL updates in place (a HOT
update), touching no index. Measured: 12 % of updates HOT at fillfactor
100, 95 % at 70.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ingestion", "0002_points_table")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE ingestion_series SET (fillfactor = 70)",
            "ALTER TABLE ingestion_series RESET (fillfactor)",
        )
    ]
