from django.contrib import admin

from web.models import Dashboard, Panel


class PanelInline(admin.TabularInline):
    model = Panel
    extra = 0
    fields = ["position", "title", "selector", "aggregation", "step", "range"]


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username", "panels__selector"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PanelInline]


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "dashboard", "position", "selector", "aggregation", "range"]
    list_select_related = ["dashboard"]
    search_fields = ["title", "selector", "dashboard__title"]
