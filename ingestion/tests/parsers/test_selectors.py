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
