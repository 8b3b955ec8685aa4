"""The rules a panel's selector, step and range must follow: one definition
for the model (the admin and the pages' forms) and the API's serializer.

Each check returns the text as stored (stripped) or raises PanelError
naming the field, with the same messages the query API gives for the same
mistakes (a selector's grammar, a duration's).
"""

from __future__ import annotations

from core.durations import TimeRangeError, parse_duration
from ingestion.queries import check_regexes
from ingestion.selectors import SelectorError, parse_selector
from web.panel_ranges import parse_panel_range


class PanelError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def checked_selector(text: str) -> str:
    """A selector that parses, with regexes PostgreSQL compiles (so no saved panel fails later)."""
    text = text.strip()
    try:
        check_regexes(parse_selector(text))
    except SelectorError as exc:
        raise PanelError("selector", str(exc)) from None
    return text


def checked_range(text: str) -> str:
    text = text.strip()
    try:
        parse_panel_range(text)
    except TimeRangeError as exc:
        raise PanelError("range", _message(exc)) from None
    return text


def checked_step(text: str, range_text: str | None) -> str:
    """Empty (chosen from the range), or a duration no longer than the range."""
    text = text.strip()
    if not text:
        return ""
    try:
        step = parse_duration(text, "step")
    except TimeRangeError as exc:
        raise PanelError("step", _message(exc)) from None
    if range_text is not None and step > parse_panel_range(range_text):
        raise PanelError("step", f"{text!r} is longer than the range, {range_text}")
    return text


def panel_errors(selector: str, step: str, range_text: str) -> dict[str, str]:
    """Every field at fault, with its message (empty: the panel is valid)."""
    errors = {}
    for field, check in (
        ("selector", lambda: checked_selector(selector)),
        ("range", lambda: checked_range(range_text)),
    ):
        try:
            check()
        except PanelError as exc:
            errors[field] = str(exc)
    try:
        checked_step(step, None if "range" in errors else range_text)
    except PanelError as exc:
        errors["step"] = str(exc)
    return errors


def _message(exc: TimeRangeError) -> str:
    """The message without the parameter's name in front: a form puts it beside its field."""
    return str(exc).removeprefix(f"{exc.parameter}: ")
