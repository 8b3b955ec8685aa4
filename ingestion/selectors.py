r"""Series selectors as Prometheus users write them.

    cpu_usage_percent{host=~"web-.*", mount!="/"}
    {__name__="cpu_usage_percent", host="db-1"}

A selector is a metric name and label matchers with the operators `=`,
`!=`, `=~` and `!~`. Regular expressions are anchored (they must match the
whole value) and a missing label counts as the empty string, as in
Prometheus. Pure: no Django, so the API, notebooks and tests share it.

A regular expression is matched twice over: by PostgreSQL when series are
selected, and by Python where labels are checked in memory (silences). So
a selector accepts only the regex syntax on which Prometheus (RE2), Python
and PostgreSQL agree: `.` matches any character (newline too, as in
Prometheus), groups `(...)` and `(?:...)`, named groups (read as plain
ones), a leading `(?i)` for the whole pattern, classes `[...]`, the escapes
`\d \s \w` (and capitals), `\t \n \r \f \v`, a backslash before
punctuation, and repetitions up to 255 (PostgreSQL's limit). Anything
whose meaning differs between the engines (`\b` is a backspace to
PostgreSQL, `[[:alpha:]]` a plain set to Python, `{,3}` a literal to
PostgreSQL) or that RE2 lacks (lookaround, backreferences, other flags) is
refused with the reason. PostgreSQL still has the last word on each pattern
(`ingestion.queries.check_regexes`): some it finds too complex.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import NamedTuple

OPERATORS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
MAX_LENGTH = 4096
# Compiling and matching a regex costs PostgreSQL time that grows with its
# length and its repetition counts (a 700-character pattern can take seconds).
MAX_REGEX_LENGTH = 1024
MAX_REPEAT = 255  # PostgreSQL's RE_DUP_MAX: a larger count is an error there
_SAME_ESCAPES = set("dDsSwWtnrfv")  # the same in RE2, Python and PostgreSQL
_NAMED_GROUP = re.compile(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>")
_BOUND = re.compile(r"\{(\d*)(,?)(\d*)\}")


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
        found = _compiled(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    @property
    def sql_regex(self) -> str:
        """The pattern of a `=~` or `!~` matcher as PostgreSQL's `~` reads it, anchored."""
        regex = portable_regex(self.value)
        return f"{'(?i)' if regex.ignore_case else ''}^(?:{regex.body})$"


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
        _compiled(pattern)
    except SelectorError as exc:
        raise SelectorError(f"the regular expression for {label!r} {exc}") from None


class Regex(NamedTuple):
    body: str  # the pattern as every engine reads it alike
    ignore_case: bool  # it began with (?i)


@functools.lru_cache(maxsize=512)
def portable_regex(pattern: str) -> Regex:
    """Check that `pattern` means the same to RE2, Python and PostgreSQL;
    return it with named groups made plain and a leading `(?i)` taken out.

    Raises SelectorError whose message completes "the regular expression …".
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise SelectorError(f"is longer than {MAX_REGEX_LENGTH} characters")
    ignore_case = pattern.startswith("(?i)")
    text = pattern[4:] if ignore_case else pattern
    out, pos = [], 0
    while pos < len(text):
        piece, pos = _next_piece(text, pos)
        out.append(piece)
    return Regex("".join(out), ignore_case)


def _next_piece(text: str, pos: int) -> tuple[str, int]:
    """The next element of a pattern, checked (and translated): (text, end)."""
    char = text[pos]
    if char == "\\":
        return _escape(text, pos), pos + 2
    if text.startswith("(?", pos):
        return _group_start(text, pos)
    if char == "[":
        end = _class_end(text, pos)
    elif char == "{":
        end = _bound_end(text, pos)
        end = _quantifier_end(text, end) if end > pos + 1 else end
    elif char in "*+?":
        end = _quantifier_end(text, pos + 1)
    else:
        end = pos + 1
    return text[pos:end], end


def _escape(text: str, pos: int) -> str:
    if pos + 1 >= len(text):
        raise SelectorError("ends with a lone backslash")
    char = text[pos + 1]
    if char.isascii() and char.isalnum() and char not in _SAME_ESCAPES:
        if char.isdigit():
            raise SelectorError(f"uses \\{char}: backreferences and octal escapes are not supported")
        if char == "b":
            raise SelectorError(
                f"uses \\{char}: a word boundary to RE2 and Python, a backspace to PostgreSQL"
            )
        raise SelectorError(
            f"uses \\{char}, which the regex engines read differently or not at all: use \\d \\s \\w "
            "(or \\D \\S \\W), \\t \\n \\r \\f \\v, the character itself, or a backslash before punctuation"
        )
    return text[pos : pos + 2]


def _class_end(text: str, pos: int) -> int:
    """The end of the class `[...]` starting at `pos` (a `]` first is literal)."""
    end = pos + 1
    end += text.startswith("^", end)
    end += text.startswith("]", end)
    while end < len(text) and text[end] != "]":
        if text[end] == "\\":
            _escape(text, end)
            end += 2
            continue
        if text[end] == "[" and text[end + 1 : end + 2] in (":", ".", "="):
            raise SelectorError(
                "uses a POSIX class such as [[:alpha:]], which Python reads as a plain set: "
                "write the characters, a range such as [a-z], or \\d \\s \\w"
            )
        end += 1
    return end + 1  # past "]"; an unterminated class is Python's error to report


def _group_start(text: str, pos: int) -> tuple[str, int]:
    if text.startswith("(?:", pos):
        return "(?:", pos + 3
    named = _NAMED_GROUP.match(text, pos)
    if named:
        return "(", named.end()
    if text.startswith(("(?=", "(?!", "(?<=", "(?<!"), pos):
        raise SelectorError("uses a lookaround such as (?=…), which Prometheus's regex syntax (RE2) has not")
    raise SelectorError(f"uses {text[pos : pos + 4]!r}: of the (?…) flags only a leading (?i) is supported")


def _bound_end(text: str, pos: int) -> int:
    """The end of a repetition `{m}`, `{m,}`, `{m,n}` at `pos`, or of a literal `{`."""
    bound = _BOUND.match(text, pos)
    if bound and bound.group(1):
        if max(int(bound.group(1)), int(bound.group(3) or 0)) > MAX_REPEAT:
            raise SelectorError(f"repeats more than {MAX_REPEAT} times, PostgreSQL's limit")
        return bound.end()
    if bound or text[pos + 1 : pos + 2].isdigit():
        raise SelectorError(
            f"has {text[pos : pos + 8]!r}, which the regex engines read differently: "
            "write a repetition in full ({0,3}, {2,}) or a literal brace as \\{"
        )
    return pos + 1  # a "{" that starts no repetition is a literal everywhere


def _quantifier_end(text: str, pos: int) -> int:
    """Past a quantifier's lazy "?"; a possessive "+" is refused."""
    if text.startswith("+", pos):
        raise SelectorError("uses a possessive quantifier (*+, ++, ?+), which PostgreSQL and RE2 have not")
    return pos + text.startswith("?", pos)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    """The Python regex of a selector pattern, read as PostgreSQL reads it."""
    regex = portable_regex(pattern)
    flags = re.DOTALL | (re.IGNORECASE if regex.ignore_case else 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": literal for now
            return re.compile(regex.body, flags)
    except re.error as exc:
        raise SelectorError(f"is invalid: {exc}") from None
    except (RecursionError, OverflowError):  # Python's own limits: nesting, code size
        raise SelectorError("is too deeply nested or too large for Python's regex engine") from None


def _matches_something(matcher: Matcher) -> bool:
    """Is the matcher more selective than 'any series at all'?"""
    return not matcher.matches({})
