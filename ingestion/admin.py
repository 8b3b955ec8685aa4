from django import forms
from django.contrib import admin, messages

from core import outbound
from ingestion import scrape
from ingestion.models import ApiKey, ScrapeTarget, Series, Source
from ingestion.series_deletion import delete_series


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "last_seen_at"]
    search_fields = ["name"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["key", "metric", "source", "kind", "unit", "capacity", "first_ts", "last_ts"]
    list_filter = ["kind", "metric"]
    search_fields = ["key"]
    list_select_related = ["source"]
    readonly_fields = ["key", "metric", "labels", "first_ts", "last_ts", "created_at"]

    # The admin's own delete would leave the points behind (they have no
    # foreign key): delete through the one path that takes them too.
    def delete_model(self, request, obj):
        delete_series([obj.pk])

    def delete_queryset(self, request, queryset):
        delete_series(queryset.values_list("pk", flat=True))


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scopes", "source", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["source"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "created_by"]
    fields = ["name", "scopes", "source", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, plaintext = ApiKey.issue(obj.name, obj.scopes, source=obj.source, created_by=request.user)
        obj.pk = key.pk
        obj.prefix, obj.key_hash = key.prefix, key.key_hash
        # Shown once: only a hash is stored.
        messages.warning(request, f"New API key (copy it now, it will not be shown again): {plaintext}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        from django.utils import timezone

        from ingestion.auth import forget_keys

        n = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        forget_keys()  # this process at once; the other workers within TSMON_API_KEY_CACHE_SECONDS
        self.message_user(request, f"Revoked {n} keys.")


class ScrapeTargetForm(forms.ModelForm):
    # Only where core.outbound lets tsmon send (checked again at every scrape).
    url = forms.URLField(max_length=500, assume_scheme="https", validators=[outbound.validate_destination])

    class Meta:
        model = ScrapeTarget
        fields = "__all__"


@admin.register(ScrapeTarget)
class ScrapeTargetAdmin(admin.ModelAdmin):
    form = ScrapeTargetForm
    list_display = ["name", "shown_url", "interval_seconds", "enabled", "last_scrape_at", "last_error"]
    list_filter = ["enabled"]

    @admin.display(description="URL")
    def shown_url(self, target: ScrapeTarget) -> str:
        return scrape.shown_url(target.url)  # no password in the list
