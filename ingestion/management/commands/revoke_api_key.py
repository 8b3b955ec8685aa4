"""`manage.py revoke_api_key NAME`: stop a live API key working.

The web workers remember a key they found for TSMON_API_KEY_CACHE_SECONDS
(5 s), so they refuse it within that time.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingestion.auth import forget_keys
from ingestion.models import ApiKey


class Command(BaseCommand):
    help = (
        "Revoke the live API key of this name (or prefix); requests with it get 401 within "
        "TSMON_API_KEY_CACHE_SECONDS (5 s by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the key's name, or the prefix list_api_keys shows")

    def handle(self, *args, **options):
        live = ApiKey.objects.filter(revoked_at__isnull=True)
        keys = live.filter(name=options["name"]) or live.filter(prefix=options["name"])
        if not keys:
            raise CommandError(f"no live key named {options['name']!r} (see manage.py list_api_keys)")
        revoked = keys.update(revoked_at=timezone.now())
        forget_keys()
        self.stdout.write(f"revoked {revoked} key(s) named {options['name']!r}")
