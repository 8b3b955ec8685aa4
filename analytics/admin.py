from django.contrib import admin

from analytics.models import Anomaly, AnomalyEvent, Detector, FalsePositive, Forecast
from core.models import JobRun


@admin.register(Detector)
class DetectorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "selector", "min_score", "enabled", "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "selector"]

    def save_model(self, request, obj, form, change):
        """Save; after a change of params or kind, say what the save forgot (`Detector.save`)."""
        # Detector.save's own test, not form.changed_data (which compares with the form's
        # hidden initial value), so the message says what the save did.
        forgets = change and obj.has_new_parameters()
        n_series = obj.states.count() if forgets else 0  # counted before the save deletes them
        super().save_model(request, obj, form, change)
        if forgets:
            self.message_user(request, forgotten_message(n_series))


def forgotten_message(n_series: int) -> str:
    if n_series == 0:
        return "New parameters: no series had been scored yet, so nothing was forgotten."
    return (
        f"New parameters: what this detector learned for {n_series} series, and the anomalies and"
        " events it found there, were deleted. The next detection runs score each series' history"
        " afresh with the new parameters."
    )


@admin.register(Anomaly)
class AnomalyAdmin(admin.ModelAdmin):
    list_display = ["ts", "series", "kind", "score", "value", "expected", "direction", "detector"]
    list_filter = ["kind", "detector"]
    list_select_related = ["series", "detector"]
    date_hierarchy = "ts"
    search_fields = ["series__key"]
    raw_id_fields = ["series"]


@admin.register(AnomalyEvent)
class AnomalyEventAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "series", "kind", "peak_score", "n_points", "detector"]
    list_filter = ["kind", "detector"]
    list_select_related = ["series", "detector"]
    date_hierarchy = "start"
    search_fields = ["series__key"]
    raw_id_fields = ["series"]


@admin.register(FalsePositive)
class FalsePositiveAdmin(admin.ModelAdmin):
    """The false-positive marks people made on the anomalies page (analytics.false_positives)."""

    list_display = ["start", "end", "series", "detector_name", "reason", "marked_by", "marked_at"]
    list_select_related = ["series"]
    date_hierarchy = "start"
    search_fields = ["series__key", "reason", "marked_by"]
    raw_id_fields = ["series", "event"]


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = [
        "series",
        "created_at",
        "model",
        "threshold",
        "threshold_at",
        "threshold_earliest",
        "threshold_latest",
    ]
    list_select_related = ["series"]
    search_fields = ["series__key"]
    exclude = ["points"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["job", "started_at", "finished_at", "outcome", "n_series", "n_points", "worker"]
    list_filter = ["job", "outcome"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in JobRun._meta.fields]
