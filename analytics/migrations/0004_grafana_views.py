"""Read-only views for Grafana's PostgreSQL data source (see the README).

Views rather than tables: they always show the stored data, and the
planner pushes Grafana's `$__timeFilter(time)` through them, so a query
reads only the partitions and index ranges it needs.
"""

from django.db import migrations

CREATE = """
CREATE VIEW tsmon_points AS
SELECT p.ts AS time, p.series_id, s.key AS series, s.metric, s.labels,
       s.labels ->> 'host' AS host, p.value
FROM ingestion_point p JOIN ingestion_series s ON s.id = p.series_id;

CREATE VIEW tsmon_anomalies AS
SELECT a.ts AS time, a.series_id, s.key AS series, s.metric, s.labels ->> 'host' AS host,
       a.kind, a.score, a.value, a.expected, a.lo, a.hi, a.direction, d.name AS detector
FROM analytics_anomaly a
JOIN ingestion_series s ON s.id = a.series_id
JOIN analytics_detector d ON d.id = a.detector_id;

CREATE VIEW tsmon_anomaly_events AS
SELECT e.start AS time, e."end" AS time_end, e.series_id, s.key AS series, s.metric,
       s.labels ->> 'host' AS host, e.kind, e.peak_score, e.n_points, e.direction, d.name AS detector
FROM analytics_anomalyevent e
JOIN ingestion_series s ON s.id = e.series_id
JOIN analytics_detector d ON d.id = e.detector_id;
"""

DROP = """
DROP VIEW IF EXISTS tsmon_anomaly_events;
DROP VIEW IF EXISTS tsmon_anomalies;
DROP VIEW IF EXISTS tsmon_points;
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_alerts"), ("ingestion", "0002_points_table")]

    operations = [migrations.RunSQL(CREATE, DROP)]
