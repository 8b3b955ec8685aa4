"""Series of `_<what>_per_second` metrics stored before tsmon named their unit
get it now (`bytes/s`, `packets/s`), as new ones do (`guess_unit`). A unit
someone set is left alone; going back leaves the units in place."""

from django.db import migrations

# The rule as it was written, frozen here: a migration must not change when
# ingestion.series_cache.guess_unit does.
RATE_UNITS = r"""
UPDATE ingestion_series
SET unit = substring(metric FROM '([^_]*)_per_second$') || '/s'
WHERE unit = '' AND metric ~ '_per_second$'
"""


class Migration(migrations.Migration):
    dependencies = [("ingestion", "0006_landing_and_chunks")]

    operations = [migrations.RunSQL(RATE_UNITS, migrations.RunSQL.noop)]
