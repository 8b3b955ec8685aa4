from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0009_anomaly_plural"),
    ]

    operations = [
        migrations.AddField(
            model_name="detectorstate",
            name="learning",
            field=models.BooleanField(default=False),
        ),
    ]
