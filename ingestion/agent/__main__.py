"""``python -m ingestion.agent``: the agent's command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ingestion.agent.collector import Collector
from ingestion.agent.runner import Agent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.agent", description="Send this host's metrics to tsmon."
    )
    parser.add_argument("--url", required=True, help="tsmon's base URL, e.g. http://tsmon:8000")
    parser.add_argument(
        "--token",
        default=os.environ.get("TSMON_AGENT_TOKEN"),
        help="a write key (default: $TSMON_AGENT_TOKEN)",
    )
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between rounds (default 10)")
    parser.add_argument(
        "--spool-dir",
        default=str(Path.home() / ".tsmon-agent-spool"),
        help="where batches wait while tsmon is unreachable (default ~/.tsmon-agent-spool)",
    )
    parser.add_argument(
        "--spool-max-mb", type=float, default=64.0, help="spool bound; the oldest batches go first"
    )
    parser.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="extra label (repeatable)"
    )
    parser.add_argument("--hostname", help="the host label (default: this machine's name)")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not args.token:
        print("error: --token or $TSMON_AGENT_TOKEN is required", file=sys.stderr)
        return 2
    labels = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"error: --label {item!r} is not KEY=VALUE", file=sys.stderr)
            return 2
        labels[key] = value
    agent = Agent(
        args.url,
        args.token,
        args.spool_dir,
        interval=args.interval,
        collector=Collector(labels, args.hostname),
        spool_max_bytes=int(args.spool_max_mb * 1024 * 1024),
    )
    agent.run(once=args.once)
    return 0


if __name__ == "__main__":
    sys.exit(main())
