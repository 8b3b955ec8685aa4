"""The points table: range-partitioned by day on `ts`.

Partitions are created by `ingestion.partitions` (ahead of time by
`maintain_partitions`, and on demand by the writer) and dropped by retention.
"""

from django.db import migrations

CREATE = """
CREATE TABLE ingestion_point (
    series_id bigint NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);
"""

DROP = "DROP TABLE IF EXISTS ingestion_point CASCADE;"


class Migration(migrations.Migration):
    dependencies = [("ingestion", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
