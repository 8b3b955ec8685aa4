"""Report tables as CSV: exact values, and no cell a spreadsheet would run."""

import csv
import io

from reports.rendering import table_csv


def rows_of(content):
    return list(csv.reader(io.StringIO(table_csv(content, "events"))))


def test_text_that_looks_like_a_formula_stays_text_and_numbers_stay_numbers():
    content = {
        "tables": {
            "events": {
                "title": "Events",
                "columns": ["series", "value", "note"],
                "rows": [
                    ['cpu{host="=HYPERLINK(""http://x"")"}', -3.5, None],
                    ["=1+1", -2, "+cmd"],
                    ["@SUM(A1)", 0.25, "-rm"],
                    ["web-1", 7, "plain"],
                    ["'=1", 1, "'plain"],
                ],
            }
        }
    }

    assert rows_of(content) == [
        ["series", "value", "note"],
        ['cpu{host="=HYPERLINK(""http://x"")"}', "-3.5", ""],
        ["'=1+1", "-2", "'+cmd"],
        ["'@SUM(A1)", "0.25", "'-rm"],
        ["web-1", "7", "plain"],
        ["''=1", "1", "'plain"],
    ]
