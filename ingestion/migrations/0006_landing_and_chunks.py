"""Points move from one indexed row each to a landing table and compressed chunks.

`ingestion_landing` takes every write by COPY at heap speed: no index, no
key. Each write transaction draws one number from `ingestion_landing_batch`
and stamps its rows with it; it has already dropped its own repeats, so a
(series, ts) appears in landing once per write that sent it.

`ingestion.compaction` moves landing rows into `ingestion_chunk`: one row per
run of up to a thousand points of one series within one UTC day, times as one
step (a regular chunk: no array at all) or as microsecond deltas (the first
0, from `first_ts`), and values as float8, both
arrays compressed by PostgreSQL's TOAST (pglz): regular sampling makes the
deltas repeat and slowly varying values share their leading bytes. Chunks of
a series never overlap in time. The table is partitioned by day on
`first_ts`, so retention drops whole days as before.

Which value a read gets for a (series, ts) stored more than once: the
chunk's, else that of the landing row with the lowest batch number (the
write that began first). Compaction keeps that same value, so a read gives
the same answer before and after it. The view `ingestion_landed` is the one
place that rule is written; the read functions below (every reader in tsmon
goes through them) and the view `ingestion_point` (the ORM's) build on it.
"""

import importlib

from django.db import migrations

# The table this one replaces, as its migration made it (for the way back).
_POINTS_TABLE = importlib.import_module("ingestion.migrations.0002_points_table")

CREATE = """
CREATE TABLE ingestion_landing (
    series_id bigint NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    batch bigint NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50000);

CREATE SEQUENCE ingestion_landing_batch AS bigint;

CREATE TABLE ingestion_chunk (
    series_id bigint NOT NULL,
    first_ts timestamptz NOT NULL,
    last_ts timestamptz NOT NULL,
    n integer NOT NULL,
    step_us bigint,  -- the one step between points of a regular chunk, else NULL
    ts_deltas bigint[] NOT NULL,  -- empty in a regular chunk
    vals double precision[] NOT NULL,
    PRIMARY KEY (series_id, first_ts)
) PARTITION BY RANGE (first_ts);

-- The points of one chunk, in time order. Microsecond sums are exact in
-- float8 up to 2^53 (285 years), and summing float8 skips bigint's numeric sum.
CREATE FUNCTION tsmon_chunk_points(
    first_ts timestamptz, step_us bigint, ts_deltas bigint[], vals double precision[]
)
RETURNS TABLE (ts timestamptz, value double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT first_ts + interval '1 microsecond' * (step_us * (u.i - 1)), u.value
    FROM unnest(vals) WITH ORDINALITY AS u(value, i)
    WHERE step_us IS NOT NULL
    UNION ALL
    SELECT first_ts + interval '1 microsecond' * sum(u.delta::float8) OVER (ORDER BY u.i), u.value
    FROM unnest(ts_deltas, vals) WITH ORDINALITY AS u(delta, value, i)
    WHERE step_us IS NULL
$$;

-- The landing rows that count: one per (series, ts), the lowest batch's,
-- and none where a chunk holds the point (the chunk's value wins). A filter
-- on series_id and ts reaches the landing scan.
CREATE VIEW ingestion_landed AS
SELECT l.series_id, l.ts, l.value FROM (
    SELECT DISTINCT ON (series_id, ts) series_id, ts, value
    FROM ingestion_landing
    ORDER BY series_id, ts, batch
) l
-- A landing row inside a chunk's range (late, or sent again) is looked up in
-- that chunk; a fresh one finds no chunk and costs one index probe.
WHERE NOT EXISTS (
    SELECT 1 FROM ingestion_chunk c
    WHERE c.series_id = l.series_id AND c.first_ts <= l.ts AND c.first_ts >= date_trunc('day', l.ts, 'UTC')
      AND c.last_ts >= l.ts
      AND l.ts IN (SELECT q.ts FROM tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) q)
);

-- Every point of the series `ids` in [t0, t1), each (series, ts) once.
CREATE FUNCTION tsmon_series_points(ids bigint[], t0 timestamptz, t1 timestamptz)
RETURNS TABLE (series_id bigint, ts timestamptz, value double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.series_id, p.ts, p.value
    FROM ingestion_chunk c
    CROSS JOIN LATERAL tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) p
    -- A chunk holds one UTC day: one that reaches t0 starts on t0's day or later.
    WHERE c.series_id = ANY(ids) AND c.first_ts < t1 AND c.first_ts >= date_trunc('day', t0, 'UTC')
      AND c.last_ts >= t0 AND p.ts >= t0 AND p.ts < t1
    UNION ALL
    SELECT l.series_id, l.ts, l.value FROM ingestion_landed l
    WHERE l.series_id = ANY(ids) AND l.ts >= t0 AND l.ts < t1
$$;

-- The latest point in [t0, t1) of each of the series `ids` that has one.
CREATE FUNCTION tsmon_latest_points(ids bigint[], t0 timestamptz, t1 timestamptz)
RETURNS TABLE (series_id bigint, ts timestamptz, value double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT ON (x.series_id) x.series_id, x.ts, x.value FROM (
        -- The latest chunk that overlaps the range holds the latest chunked
        -- point in it, if any chunk does (chunks of a series do not overlap).
        SELECT c.series_id, p.ts, p.value, -1::bigint AS batch
        FROM unnest(ids) AS i(id)
        CROSS JOIN LATERAL (
            SELECT * FROM ingestion_chunk c
            WHERE c.series_id = i.id AND c.first_ts < t1 AND c.last_ts >= t0
            ORDER BY c.first_ts DESC LIMIT 1
        ) c
        CROSS JOIN LATERAL tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) p
        WHERE p.ts >= t0 AND p.ts < t1
        UNION ALL
        SELECT l.series_id, l.ts, l.value, l.batch FROM ingestion_landing l
        WHERE l.series_id = ANY(ids) AND l.ts >= t0 AND l.ts < t1
    ) x
    ORDER BY x.series_id, x.ts DESC, x.batch
$$;
"""

# Existing points land as one batch (each (series, ts) is stored once), for
# the first compaction to chunk them.
MOVE = """
INSERT INTO ingestion_landing (series_id, ts, value, batch)
SELECT series_id, ts, value, 0 FROM ingestion_point;
DROP TABLE ingestion_point CASCADE;

-- For the ORM (ingestion.models.Point) and ad-hoc SQL: every point. A filter
-- on series_id reaches both tables; one on ts cannot skip chunks (the times
-- are computed from them): tsmon_series_points can.
CREATE VIEW ingestion_point AS
SELECT c.series_id, p.ts, p.value
FROM ingestion_chunk c
CROSS JOIN LATERAL tsmon_chunk_points(c.first_ts, c.step_us, c.ts_deltas, c.vals) p
UNION ALL
SELECT series_id, ts, value FROM ingestion_landed;
"""

DROP = """
DROP FUNCTION IF EXISTS tsmon_latest_points(bigint[], timestamptz, timestamptz);
DROP FUNCTION IF EXISTS tsmon_series_points(bigint[], timestamptz, timestamptz) CASCADE;
DROP VIEW IF EXISTS ingestion_landed;
DROP FUNCTION IF EXISTS tsmon_chunk_points(timestamptz, bigint, bigint[], double precision[]);
DROP TABLE IF EXISTS ingestion_chunk CASCADE;
DROP SEQUENCE IF EXISTS ingestion_landing_batch;
DROP TABLE IF EXISTS ingestion_landing CASCADE;
"""

# Back: one row per point again (the first value of each, by the read rule).
UNMOVE = f"""
DROP VIEW ingestion_point;
{_POINTS_TABLE.CREATE}
DO $$
DECLARE day date;
BEGIN
    FOR day IN
        SELECT DISTINCT (first_ts AT TIME ZONE 'UTC')::date FROM ingestion_chunk
        UNION SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM ingestion_landing
    LOOP
        EXECUTE format(
            'CREATE TABLE ingestion_point_p%s PARTITION OF ingestion_point FOR VALUES FROM (%L) TO (%L)',
            to_char(day, 'YYYYMMDD'), day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END $$;
INSERT INTO ingestion_point
SELECT p.* FROM (SELECT array_agg(id) AS ids FROM ingestion_series) s,
     tsmon_series_points(s.ids, '-infinity', 'infinity') p;
"""


class Migration(migrations.Migration):
    # After the Grafana views over the old table exist, so dropping it (with
    # them) here is in order; analytics 0012 puts them back over the new layout.
    dependencies = [
        ("ingestion", "0005_series_ended_at"),
        ("analytics", "0007_grafana_views_host_of_every_series"),
    ]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RunSQL(MOVE, UNMOVE),
    ]
