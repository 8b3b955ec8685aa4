"""Parsers: payloads in, `Sample`s and `LineError`s out (see ingestion.samples).

Pure functions without Django, so tests, the bench and notebooks can call
them directly. Each parser refuses bad lines one by one and never raises for
bad input; naming, value and time rules are applied afterwards by
`ingestion.validation`. Each module's docstring documents its format and how
it maps to metric names and labels.
"""

from core.timestamps import PRECISIONS
from ingestion.parsers.csv_table import parse_csv, parse_label_option
from ingestion.parsers.json_rows import parse_json
from ingestion.parsers.line_protocol import parse_line_protocol
from ingestion.parsers.prometheus_text import parse_exposition
from ingestion.parsers.remote_write import ProtobufError, decompressed_size, parse_remote_write
from ingestion.parsers.result import ParseResult

__all__ = [
    "PRECISIONS",
    "ParseResult",
    "ProtobufError",
    "decompressed_size",
    "parse_csv",
    "parse_exposition",
    "parse_json",
    "parse_label_option",
    "parse_line_protocol",
    "parse_remote_write",
]
