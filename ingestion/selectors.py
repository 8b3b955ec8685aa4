"""Series selectors as Prometheus users write them.

    cpu_usage_percent{host=~"web-.*", mount!="/"}
    {__name__="cpu_usage_percent", host="db-1"}

A selector is a metric name and label matchers with the operators `=`,
`!=`, `=~` and `!~`. Regular expressions are anchored (they must match the
whole value) and a missing label counts as the empty string, as in
Prometheus. Pure: no Django, so the API, notebooks and tests share it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

OPERATORS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
MAX_LENGTH = 4096


class SelectorError(ValueError):
    """The selector text is not valid; the message says where and why."""


class Matcher(NamedTuple):
    label: str
    op: str  # one of OPERATORS
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        """Does a label set satisfy this matcher (for checks outside SQL)?"""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


class Selector(NamedTuple):
    metric: str | None
    matchers: tuple[Matcher, ...]

    def matches(self, metric: str, labels: dict[str, str]) -> bool:
        return (self.metric is None or self.metric == metric) and all(
            m.matches(labels) for m in self.matchers
        )


def parse_selector(text: str) -> Selector:
    """Parse `metric{label op "value", ...}`; raise SelectorError if malformed."""
    text = text.strip()
    if not text:
        raise SelectorError("the selector is empty")
    if len(text) > MAX_LENGTH:
        raise SelectorError(f"the selector is longer than {MAX_LENGTH} characters")
    metric, pos = _read(_NAME, text, 0)
    matchers: list[Matcher] = []
    if pos < len(text):
        if text[pos] != "{":
            raise SelectorError(f"expected '{{' at position {pos + 1}, found {text[pos]!r}")
        matchers, pos = _parse_matchers(text, pos + 1)
    if pos != len(text):
        raise SelectorError(f"unexpected text at position {pos + 1}: {text[pos : pos + 20]!r}")
    named = [m for m in matchers if m.label == "__name__"]
    if named:
        if metric or len(named) > 1 or named[0].op != "=":
            raise SelectorError(
                "__name__ may be given once, with '=', and only when no metric name precedes '{'"
            )
        metric = named[0].value
        matchers = [m for m in matchers if m.label != "__name__"]
    if not metric and not any(_matches_something(m) for m in matchers):
        raise SelectorError("give a metric name or at least one matcher that does not match the empty value")
    return Selector(metric or None, tuple(matchers))


def _read(pattern: re.Pattern, text: str, pos: int) -> tuple[str, int]:
    match = pattern.match(text, pos)
    return (match.group(), match.end()) if match else ("", pos)


def _parse_matchers(text: str, pos: int) -> tuple[list[Matcher], int]:
    matchers = []
    while True:
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] == "}":
            return matchers, pos + 1
        label, pos = _read(_LABEL, text, pos)
        if not label:
            raise SelectorError(f"expected a label name at position {pos + 1}")
        pos = _skip_spaces(text, pos)
        op = next((o for o in OPERATORS if text.startswith(o, pos)), None)
        if op is None:
            raise SelectorError(f"expected one of = != =~ !~ after {label!r} at position {pos + 1}")
        value, pos = _read_quoted(text, _skip_spaces(text, pos + len(op)))
        if op in ("=~", "!~"):
            _check_regex(label, value)
        matchers.append(Matcher(label, op, value))
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "}":
            raise SelectorError(f"expected ',' or '}}' at position {pos + 1}")


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    if pos >= len(text) or text[pos] not in "\"'":
        raise SelectorError(f"expected a quoted value at position {pos + 1}")
    quote, out, i = text[pos], [], pos + 1
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(escapes.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise SelectorError(f"unterminated string starting at position {pos + 1}")


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def _check_regex(label: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise SelectorError(f"the regular expression for {label!r} is invalid: {exc}") from None


def _matches_something(matcher: Matcher) -> bool:
    """Is the matcher more selective than 'any series at all'?"""
    return not matcher.matches({})
