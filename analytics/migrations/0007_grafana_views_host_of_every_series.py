"""The Grafana views' `host` column for every series, not only those with a `host` label.

Series from Prometheus (remote write, scrapes) carry `instance` instead, and
series written with a key bound to a source carry neither, so `host` was
NULL for them and a Grafana user could not filter on it. It is now the
first of: the `host` label; the host part of the `instance` label (its
`:port` taken off); the name of the series' source.
"""

import importlib

from django.db import migrations

HOST = """COALESCE(
           s.labels ->> 'host',
           NULLIF(regexp_replace(s.labels ->> 'instance', ':[0-9]+$', ''), ''),
           src.name)"""

CREATE = f"""
CREATE OR REPLACE VIEW tsmon_points AS
SELECT p.ts AS time, p.series_id, s.key AS series, s.metric, s.labels,
       {HOST} AS host, p.value
FROM ingestion_point p
JOIN ingestion_series s ON s.id = p.series_id
LEFT JOIN ingestion_source src ON src.id = s.source_id;

CREATE OR REPLACE VIEW tsmon_anomalies AS
SELECT a.ts AS time, a.series_id, s.key AS series, s.metric, {HOST} AS host,
       a.kind, a.score, a.value, a.expected, a.lo, a.hi, a.direction, d.name AS detector
FROM analytics_anomaly a
JOIN ingestion_series s ON s.id = a.series_id
LEFT JOIN ingestion_source src ON src.id = s.source_id
JOIN analytics_detector d ON d.id = a.detector_id;

CREATE OR REPLACE VIEW tsmon_anomaly_events AS
SELECT e.start AS time, e."end" AS time_end, e.series_id, s.key AS series, s.metric,
       {HOST} AS host, e.kind, e.peak_score, e.n_points, e.direction, d.name AS detector
FROM analytics_anomalyevent e
JOIN ingestion_series s ON s.id = e.series_id
LEFT JOIN ingestion_source src ON src.id = s.source_id
JOIN analytics_detector d ON d.id = e.detector_id;
"""

# Back to the first definition (the host label only).
_FIRST = importlib.import_module("analytics.migrations.0004_grafana_views")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_scrub_webhook_secrets"), ("ingestion", "0004_series_created_by_key")]

    operations = [migrations.RunSQL(CREATE, _FIRST.DROP + _FIRST.CREATE)]
