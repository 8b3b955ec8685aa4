"""`manage.py run_scheduler`: run tsmon's periodic jobs in this process."""

from django.core.management.base import BaseCommand, CommandError

from core.schedule import default_jobs
from core.scheduler import Scheduler


class Command(BaseCommand):
    help = "Run the periodic jobs (partitions, scrapes, detection, forecasts, alerts, reports) until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="run every job once and exit (status 1 if one failed)"
        )

    def handle(self, *args, **options):
        scheduler = Scheduler(default_jobs())
        if options["once"]:
            ran = scheduler.run_due()
            self.stdout.write(f"run_scheduler: ran {len(ran)} jobs once: {', '.join(ran)}")
            if scheduler.failed:  # a non-zero exit, for cron and scripts
                raise CommandError(f"failed: {', '.join(scheduler.failed)} (the log says why)")
            return
        scheduler.install_signal_handlers()
        self.stdout.write(f"run_scheduler: {len(scheduler.jobs)} jobs; SIGTERM stops")
        scheduler.run_forever()
        self.stdout.write("run_scheduler: stopped")
