"""The alert rule form of the pages.

It checks a rule with the API's serializer too (`AlertRuleSerializer`), so
the page accepts exactly the rules POST /api/v1/alert-rules accepts, with
the same messages; durations are typed as `5m`, `1h`, `0`.
"""

from __future__ import annotations

from django import forms

from alerts.models import AlertRule
from alerts.serializers import AlertRuleSerializer
from core.durations import TimeRangeError, format_seconds, parse_duration

MAX_SECONDS = 2**31 - 1


class DurationText(forms.Field):
    """A duration typed as `30s`, `5m`, `1h`, `7d` (or seconds), kept as whole seconds."""

    widget = forms.TextInput(attrs={"size": 8, "maxlength": 20})

    def __init__(self, *, allow_zero: bool = True, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return format_seconds(value) if isinstance(value, int) else value

    def to_python(self, value) -> int | None:
        text = str(value or "").strip()[:20]
        if text in ("", "0") and self.allow_zero:
            return 0
        try:
            seconds = round(parse_duration(text, "duration").total_seconds())
        except TimeRangeError:
            raise forms.ValidationError(f"{text!r} is not a duration such as 30s, 5m, 1h, 7d") from None
        if seconds < 1 or seconds > MAX_SECONDS:
            raise forms.ValidationError("give at least one second, and less than 68 years")
        return seconds


class AlertRuleForm(forms.ModelForm):
    window_seconds = DurationText(
        allow_zero=False,
        label="Window",
        help_text="threshold: how recent the latest point must be; anomaly: the scores looked at; no data: the silence",
    )
    for_seconds = DurationText(
        label="For", help_text="how long the condition holds before it fires (0: at once)"
    )
    keep_firing_for_seconds = DurationText(label="Keep firing for", help_text="after the condition clears")
    horizon_seconds = DurationText(
        allow_zero=False, label="Horizon", help_text="forecast rules: how far ahead"
    )
    repeat_interval_seconds = DurationText(allow_zero=False, label="Repeat every")

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "kind",
            "selector",
            "operator",
            "threshold",
            "min_score",
            "min_fraction",
            "window_seconds",
            "for_seconds",
            "keep_firing_for_seconds",
            "horizon_seconds",
            "repeat_interval_seconds",
            "detector",
            "severity",
            "summary",
            "channels",
            "enabled",
        ]
        widgets = {
            "selector": forms.TextInput(attrs={"class": "mono", "size": 50}),
            "summary": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "channels": forms.CheckboxSelectMultiple,
        }

    def clean(self):
        cleaned = super().clean()
        serializer = AlertRuleSerializer(
            instance=self.instance if self.instance.pk else None, data=self._payload()
        )
        if not serializer.is_valid():
            for name, errors in serializer.errors.items():
                target = name if name in self.fields else None
                if target is None or target not in self.errors:
                    for error in errors if isinstance(errors, list) else [errors]:
                        self.add_error(target, str(error))
        return cleaned

    def _payload(self) -> dict:
        """The cleaned fields as the API takes them (objects as ids), those that passed the form."""
        payload = {}
        for name, value in self.cleaned_data.items():
            if name == "detector":
                value = value.pk if value else None
            elif name == "channels":
                value = [c.pk for c in value]
            payload[name] = value
        return payload
