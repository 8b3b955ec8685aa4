"""CSV cells that a spreadsheet shows as text instead of running as a formula.

A text cell starting with = + - @ (or a tab or carriage return) is run as a
formula by spreadsheets: a label value or source name `=HYPERLINK(...)`,
say. A leading quote keeps it text, as OWASP advises; numbers are written
as numbers. Report tables and the points export both use this, and the
points import takes the quote off again (`unquote_formula`), so an export
imports back exactly.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Quoted: text that starts like a formula, after any number of quotes. Counting
# the quotes in makes quoting reversible: a cell starting with quotes and then
# a formula character is always one of ours, whatever its text was.
_QUOTED_IF = re.compile(f"{QUOTE}*[{re.escape(''.join(FORMULA_STARTS))}]")


def quote_formula(value):
    """`value` with a leading quote if it is text a spreadsheet would run; anything else unchanged."""
    if isinstance(value, str) and _QUOTED_IF.match(value):
        return QUOTE + value
    return value


def unquote_formula(text: str) -> str:
    """Undo `quote_formula`: the text it was given."""
    if text.startswith(QUOTE) and _QUOTED_IF.match(text, 1):
        return text[1:]
    return text
