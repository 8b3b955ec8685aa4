"""Default detectors, so a fresh install (and the demo) is watched from the start."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "default",
        "selector": "",
        "kind": "series",
        "params": {},
        "min_score": 0.5,
    },
]


def create(apps, schema_editor):
    Detector = apps.get_model("analytics", "Detector")
    for fields in DEFAULTS:
        Detector.objects.get_or_create(name=fields["name"], defaults=fields)


def remove(apps, schema_editor):
    Detector = apps.get_model("analytics", "Detector")
    Detector.objects.filter(name__in=[d["name"] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_detection")]

    operations = [migrations.RunPython(create, remove)]
