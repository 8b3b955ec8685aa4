"""`manage.py create_api_key NAME --scope write`: issue an API key and print it once."""

from django.core.management.base import BaseCommand, CommandError

from core.scopes import ApiScope
from ingestion.models import ApiKey, Source


class Command(BaseCommand):
    help = "Issue an API key. Only its hash is stored: the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scope", action="append", choices=ApiScope.values, help="write, read or admin (repeatable)"
        )
        parser.add_argument("--source", help="host name that series without a host label belong to")

    def handle(self, *args, **options):
        scopes = options["scope"] or [ApiScope.WRITE]
        source = None
        if options["source"]:
            source, _ = Source.objects.get_or_create(name=options["source"])
        if ApiKey.objects.filter(name=options["name"], revoked_at__isnull=True).exists():
            raise CommandError(f"a live key named {options['name']!r} exists; revoke it in the admin first")
        _, plaintext = ApiKey.issue(options["name"], scopes, source=source)
        self.stdout.write(plaintext)
