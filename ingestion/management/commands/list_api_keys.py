"""`manage.py list_api_keys`: name, prefix, scopes and use of every key (never the key)."""

from django.core.management.base import BaseCommand

from ingestion.models import ApiKey


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = "List API keys: name, prefix, scopes, created, last used, revoked."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="include revoked keys")

    def handle(self, *args, **options):
        keys = ApiKey.objects.order_by("name", "created_at")
        if not options["all"]:
            keys = keys.filter(revoked_at__isnull=True)
        self.stdout.write(f"{'name':24} {'prefix':12} {'scopes':18} {'created':16} {'last used':16} revoked")
        for key in keys:
            self.stdout.write(
                f"{key.name:24} {key.prefix:12} {','.join(key.scopes):18} "
                f"{_when(key.created_at):16} {_when(key.last_used_at):16} {_when(key.revoked_at)}"
            )
