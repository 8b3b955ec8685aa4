"""The alerting models are the alerts app's now (alerts 0001): only Django's state
forgets them here; the tables stay, with their names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0013_jobrun_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="alertrule",
                    name="channels",
                ),
                migrations.RemoveField(
                    model_name="alertrule",
                    name="detector",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="rule",
                ),
                migrations.RemoveField(
                    model_name="delivery",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="delivery",
                    name="notification",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="channel",
                ),
                migrations.DeleteModel(
                    name="Alert",
                ),
                migrations.DeleteModel(
                    name="Silence",
                ),
                migrations.DeleteModel(
                    name="AlertRule",
                ),
                migrations.DeleteModel(
                    name="Delivery",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="NotificationChannel",
                ),
            ]
        ),
    ]
