"""Channels of kind alertmanager, slack and dingtalk; when an alert was last pushed to Alertmanager."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_grafana_views_host_of_every_series"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="last_pushed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notificationchannel",
            name="message_format",
            field=models.CharField(
                choices=[("markdown", "markdown"), ("text", "plain text")], default="markdown", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="notificationchannel",
            name="secret",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="notificationchannel",
            name="kind",
            field=models.CharField(
                choices=[
                    ("webhook", "webhook receiver (the JSON Alertmanager sends its receivers)"),
                    ("email", "e-mail"),
                    ("alertmanager", "Alertmanager (pushed to its API, as Prometheus does)"),
                    ("slack", "Slack-compatible incoming webhook"),
                    ("dingtalk", "DingTalk robot webhook"),
                ],
                max_length=16,
            ),
        ),
    ]
