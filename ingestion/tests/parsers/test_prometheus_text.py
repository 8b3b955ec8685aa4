"""Prometheus exposition text, parsed with prometheus_client."""

from ingestion.parsers import parse_exposition
from ingestion.samples import Sample

NOW_US = 1_700_000_000_000_000

PAGE = """# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="get",code="200"} 1027 1700000000123
http_requests_total{method="post",code="200"} 3
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 5
latency_seconds_bucket{le="+Inf"} 7
latency_seconds_sum 1.5
latency_seconds_count 7
"""


def test_it_reads_every_sample_line_with_its_timestamp_or_now():
    result = parse_exposition(PAGE, NOW_US)

    assert result.errors == []
    assert result.samples[0] == Sample(
        "http_requests_total", (("code", "200"), ("method", "get")), 1_700_000_000_123_000, 1027.0, 3
    )
    assert result.samples[1].ts_us == NOW_US
    assert [s.metric for s in result.samples[2:]] == [
        "latency_seconds_bucket",
        "latency_seconds_bucket",
        "latency_seconds_sum",
        "latency_seconds_count",
    ]
    assert result.samples[3].labels == (("le", "+Inf"),)


def test_it_adds_target_labels_and_keeps_clashing_ones_as_exported():
    result = parse_exposition('up{job="inner"} 1\n', NOW_US, (("instance", "h:9100"), ("job", "node")))

    assert result.samples[0].labels == (("exported_job", "inner"), ("instance", "h:9100"), ("job", "node"))


def test_a_bad_line_is_refused_and_the_rest_of_the_page_kept():
    result = parse_exposition("a 1\nb{x=y} 2\nc abc\nd 4\n", NOW_US)

    assert [s.metric for s in result.samples] == ["a", "d"]
    assert [e.line for e in result.errors] == [2, 3]
    assert result.errors[0].text == "b{x=y} 2"


def test_nan_values_are_passed_on_for_validation_to_refuse():
    result = parse_exposition('q{quantile="0.5"} NaN\n', NOW_US)

    assert len(result.samples) == 1 and result.samples[0].value != result.samples[0].value
