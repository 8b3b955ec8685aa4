"""Admin pages for alert rules, alerts, silences, channels, notifications and deliveries."""

from django import forms
from django.contrib import admin

from alerts.channel_checks import channel_errors
from alerts.models import Alert, AlertRule, Delivery, Notification, NotificationChannel, Silence
from core import outbound


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "selector", "severity", "for_seconds", "enabled"]
    list_filter = ["kind", "severity", "enabled"]
    search_fields = ["name", "selector"]
    filter_horizontal = ["channels"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["rule", "series", "state", "started_at", "fired_at", "resolved_at", "acknowledged_by"]
    list_filter = ["state", "rule__severity", "rule"]
    list_select_related = ["rule", "series"]
    raw_id_fields = ["series", "silenced_by"]
    date_hierarchy = "started_at"


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ["matchers", "starts_at", "ends_at", "created_by", "comment"]
    search_fields = ["matchers", "comment"]


class NotificationChannelForm(forms.ModelForm):
    # Only where core.outbound lets tsmon send (checked again at every delivery).
    url = forms.URLField(
        max_length=500, required=False, assume_scheme="https", validators=[outbound.validate_destination]
    )

    # Typed, not shown back: it signs every DingTalk message.
    secret = forms.CharField(max_length=200, required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = NotificationChannel
        fields = "__all__"

    def clean_secret(self) -> str:
        # An empty box keeps the stored secret (the page never shows it).
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")

    def clean(self) -> dict:
        data = super().clean()
        for field, message in channel_errors(
            data.get("kind"), data.get("url") or "", data.get("addresses") or [], data.get("secret") or ""
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ["name", "kind", "url", "disabled_reason", "disabled_at"]
    list_filter = ["kind"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "rule", "status", "group_key", "created_at", "attempts", "outcome"]
    list_filter = ["outcome", "status", "channel"]
    list_select_related = ["channel", "rule"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "channel",
        "notification",
        "outcome",
        "http_status",
        "duration_ms",
        "error",
    ]
    list_filter = ["outcome", "channel"]
    list_select_related = ["channel", "notification"]
