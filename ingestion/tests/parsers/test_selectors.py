import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.selectors import Matcher, SelectorError, parse_selector


def test_it_parses_a_metric_with_every_kind_of_matcher():
    selector = parse_selector('cpu_usage_percent{host=~"web-.*", mount!="/", env="prod",dc!~"eu.*"}')

    assert selector.metric == "cpu_usage_percent"
    assert selector.matchers == (
        Matcher("host", "=~", "web-.*"),
        Matcher("mount", "!=", "/"),
        Matcher("env", "=", "prod"),
        Matcher("dc", "!~", "eu.*"),
    )


def test_a_bare_metric_name_and_empty_braces_select_the_metric():
    assert parse_selector("up") == parse_selector("up{}") == parse_selector('{__name__="up"}')


def test_quoted_values_keep_escaped_quotes_and_commas():
    selector = parse_selector(r'm{path="a \"b\", c"}')

    assert selector.matchers[0].value == 'a "b", c'


def test_regexes_are_anchored_and_a_missing_label_is_empty():
    selector = parse_selector('m{host=~"web"}')

    assert selector.matches("m", {"host": "web"})
    assert not selector.matches("m", {"host": "web-1"})
    assert parse_selector('m{mount=""}').matches("m", {})
    assert not parse_selector('m{mount!=""}').matches("m", {})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("cpu{host}", "expected one of = != =~ !~"),
        ('cpu{host="a"', "expected ',' or '}'"),
        ('cpu{host="a}', "unterminated string"),
        ("cpu{host=a}", "expected a quoted value"),
        ('cpu{host=~"("}', "regular expression for 'host' is invalid"),
        ('{host=~".*"}', "give a metric name"),
        ('cpu{__name__="x"}', "__name__ may be given once"),
        ("cpu host", "expected '{'"),
        ('cpu{1x="a"}', "expected a label name"),
    ],
)
def test_a_malformed_selector_says_what_is_wrong(text, reason):
    with pytest.raises(SelectorError, match=reason):
        parse_selector(text)


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_selector_error(text):
    try:
        parse_selector(text)
    except SelectorError:
        pass


# The regex dialect: what RE2 (Prometheus), Python and PostgreSQL read alike.


@pytest.mark.parametrize(
    ("pattern", "sql"),
    [
        ("web-.*", "^(?:web-.*)$"),
        ("(?i)web-.*", "(?i)^(?:web-.*)$"),
        ("(?P<kind>web|db)-\\d+", "^(?:(web|db)-\\d+)$"),
        ("(?<kind>web)", "^(?:(web))$"),
        ("a{2,5}?b{3}c{1,}", "^(?:a{2,5}?b{3}c{1,})$"),
        ("[]a-z\\]]+|{abc}|x{+", "^(?:[]a-z\\]]+|{abc}|x{+)$"),
        ("\\.\\-\\ é", "^(?:\\.\\-\\ é)$"),
    ],
)
def test_a_regex_becomes_the_anchored_pattern_postgresql_reads_alike(pattern, sql):
    (matcher,) = parse_selector(f'm{{h=~"{pattern}"}}').matchers

    assert matcher.sql_regex == sql


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?<=a)b", "lookaround"),
        ("(?!a)b", "lookaround"),
        ("a{256}", "more than 255 times"),
        ("a{1,1000}", "more than 255 times"),
        ("a{,3}", "{0,3}"),
        ("a{1,", "{0,3}"),
        ("\\\\bweb", "a backspace to PostgreSQL"),
        ("\\\\N{DIGIT ONE}", "\\N"),
        ("\\\\x41", "\\x"),
        ("(a)\\\\1", "backreferences"),
        ("[[:digit:]]", "POSIX class"),
        ("[a[.-.]]", "POSIX class"),
        ("a++", "possessive"),
        ("a{2}+", "possessive"),
        ("(?s).", "only a leading (?i)"),
        ("a(?i)b", "only a leading (?i)"),
        ("(?#note)a", "only a leading (?i)"),
        ("(?>a)", "only a leading (?i)"),
        ("x" * 1025, "longer than 1024"),
        ("[a", "is invalid"),
        ("(" * 500 + ")" * 500, "too deeply nested"),
    ],
)
def test_a_regex_the_engines_read_differently_is_refused_with_the_reason(pattern, reason):
    with pytest.raises(SelectorError, match="the regular expression for 'h'") as raised:
        parse_selector(f'm{{h=~"{pattern}"}}')

    assert reason in str(raised.value)


def test_python_matches_as_postgresql_does():
    """`.` matches a newline (as in PostgreSQL and Prometheus); a leading (?i) is the whole pattern's."""
    assert parse_selector('m{h=~"a.b"}').matches("m", {"h": "a\nb"})
    assert parse_selector('m{h=~"(?i)WEB-[0-9]"}').matches("m", {"h": "web-1"})
    assert not parse_selector('m{h=~"WEB-[0-9]"}').matches("m", {"h": "web-1"})
    assert parse_selector('m{h=~"(?P<n>web)-1"}').matches("m", {"h": "web-1"})


@given(st.text(alphabet="ab.*+?|()[]{}^$\\-,0123456789:=<>!PiswdbN", max_size=30))
def test_any_regex_is_translated_or_refused(pattern):
    try:
        (matcher,) = parse_selector('m{h=~"' + pattern.replace("\\", "\\\\").replace('"', "") + '"}').matchers
    except SelectorError:
        return
    assert matcher.sql_regex.endswith(")$")
