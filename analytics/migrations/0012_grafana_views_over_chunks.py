"""The Grafana points view over the chunked layout, and a time-ranged twin.

Points are now read through `tsmon_series_points` (ingestion 0006), which
merges compressed chunks with landing rows. A time filter on the view's
`time` column cannot reach the chunks (it is computed from them), so the
view reads every point of the series it selects; `tsmon_points_between(from,
to)` reads only the chunks of that range (from inclusive, to exclusive) and
is the one to use from Grafana: `FROM tsmon_points_between($__timeFrom(),
$__timeTo())`. `tsmon_series` lists the series with their first and last
point's time, for variables. Both call the read
function once per selected series, so a filter on metric or host is applied
to the series first. A read-only role needs SELECT on `ingestion_chunk` and
the view `ingestion_landed` as well as on these (the function reads them
with the caller's rights).
"""

from django.db import migrations

HOST = """COALESCE(
           s.labels ->> 'host',
           NULLIF(regexp_replace(s.labels ->> 'instance', ':[0-9]+$', ''), ''),
           src.name)"""


def _points_of_series(t0: str, t1: str) -> str:
    return f"""
SELECT p.ts AS time, s.id AS series_id, s.key AS series, s.metric, s.labels, {HOST} AS host, p.value
FROM ingestion_series s
LEFT JOIN ingestion_source src ON src.id = s.source_id
CROSS JOIN LATERAL tsmon_series_points(ARRAY[s.id], {t0}, {t1}) p"""


CREATE = f"""
CREATE OR REPLACE VIEW tsmon_points AS {_points_of_series("'-infinity'", "'infinity'")};

-- The series, with the time of their first and last point: what a Grafana
-- variable lists, without reading points.
CREATE VIEW tsmon_series AS
SELECT s.id AS series_id, s.key AS series, s.metric, s.labels, {HOST} AS host,
       s.first_ts AS first_time, s.last_ts AS last_time
FROM ingestion_series s
LEFT JOIN ingestion_source src ON src.id = s.source_id;

CREATE FUNCTION tsmon_points_between(t0 timestamptz, t1 timestamptz)
RETURNS TABLE ("time" timestamptz, series_id bigint, series text, metric text, labels jsonb, host text, value double precision)
LANGUAGE sql STABLE AS $$ {_points_of_series("t0", "t1")} $$;
"""

DROP = """
DROP FUNCTION IF EXISTS tsmon_points_between(timestamptz, timestamptz);
DROP VIEW IF EXISTS tsmon_series;
DROP VIEW IF EXISTS tsmon_points;
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0011_false_positive"), ("ingestion", "0006_landing_and_chunks")]

    operations = [migrations.RunSQL(CREATE, DROP)]
