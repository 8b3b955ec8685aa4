"""``manage.py run_agent``: the tsmon agent for the host tsmon itself runs on."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.scopes import ApiScope
from ingestion.agent import Agent
from ingestion.models import ApiKey
from ingestion.own_series import LOCAL_KEY_NAME


class Command(BaseCommand):
    help = "Measure this host with psutil every interval and send the points to tsmon's write API."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="tsmon's base URL (default: TSMON_AGENT_URL)")
        parser.add_argument(
            "--token", help="a write key (default: TSMON_AGENT_TOKEN, else a local key is issued)"
        )
        parser.add_argument(
            "--interval", type=float, help="seconds between rounds (default: TSMON_AGENT_INTERVAL)"
        )
        parser.add_argument("--spool-dir", help="spool directory (default: TSMON_AGENT_SPOOL_DIR)")
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, **options):
        agent = Agent(
            options["url"] or settings.TSMON_AGENT_URL,
            options["token"] or settings.TSMON_AGENT_TOKEN or issue_local_key(),
            options["spool_dir"] or settings.TSMON_AGENT_SPOOL_DIR,
            interval=options["interval"] or settings.TSMON_AGENT_INTERVAL,
        )
        agent.run(once=options["once"])
        self.stdout.write(
            f"agent stopped; {len(agent.spool.pending())} batch(es) left in {agent.spool.directory}"
        )


def issue_local_key() -> str:
    """Issue a write key for the local agent, revoking the one from its last
    start: only a hash is stored, so an old key's plaintext cannot be reused,
    and this keeps one live local key instead of one per start."""
    ApiKey.objects.filter(name=LOCAL_KEY_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _, plaintext = ApiKey.issue(LOCAL_KEY_NAME, [ApiScope.WRITE])
    return plaintext
