"""Take webhook secrets out of the errors stored before tsmon stopped keeping them.

Delivery errors (readable with the read scope) and channels' disabled
reasons used to keep the receiver's answer (`HTTP 404: Cannot POST
/hook/SECRET`), and before that the whole URL (`could not reach
https://hooks.example/SECRET: ...`). Rows written since hold the status and
the origin only; this brings the older ones to the same form.
"""

from django.db import migrations

# Each (pattern, replacement) keeps what the notifier keeps today.
SCRUBS = [
    # "HTTP 404: <answer>" -> "HTTP 404"
    (r"^(HTTP [0-9]{3}):.*$", r"\1"),
    # "could not reach <scheme>://<user@><host:port><path?query>: <reason>" -> origin only
    (r"^could not reach ([a-z][a-z0-9+.-]*://)([^/?#\s@]*@)?([^/?#\s@]*)\S*: ", r"could not reach \1\3/…: "),
]
COLUMNS = [("analytics_delivery", "error"), ("analytics_notificationchannel", "disabled_reason")]


def scrub(cursor) -> None:
    """Rewrite the stored errors with `SCRUBS`; rows already in today's form stay as they are."""
    for table, column in COLUMNS:
        for pattern, replacement in SCRUBS:
            cursor.execute(
                f"UPDATE {table} SET {column} = regexp_replace({column}, %s, %s, 's') WHERE {column} ~ %s",
                [pattern, replacement, pattern],
            )


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        scrub(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_job_outcome_abandoned"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
