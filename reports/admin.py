from django.contrib import admin

from reports.models import Report, ReportSchedule


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "selector", "period_end", "status", "progress", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "selector"]
    exclude = ["content", "html"]  # large; read them through the API or the page
    readonly_fields = [
        "status",
        "progress",
        "stage",
        "error",
        "started_at",
        "progress_at",
        "finished_at",
        "summary",
    ]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "selector", "frequency", "hour", "enabled", "last_run_at"]
    list_filter = ["kind", "frequency", "enabled"]
