"""The tsmon agent: measures a host with psutil and sends the points to tsmon.

Run ``python -m ingestion.agent --url http://tsmon:8000 --token <write key>``
(``--help`` for the options), or ``manage.py run_agent`` for the host tsmon
runs on. It needs psutil and the standard library only, not Django.
"""

from ingestion.agent.collector import Collector, Point
from ingestion.agent.runner import Agent, SendError, encode_batch
from ingestion.agent.spool import Spool

__all__ = ["Agent", "Collector", "Point", "SendError", "Spool", "encode_batch"]
