"""The line-protocol fast paths read every body as the exact parser does.

`parse_line_protocol` cuts lines of the common shape for a whole body at
once and reads the others line by line; `parse_line_protocol_exactly`
reads every line with the careful parser. On any body, and in particular
on bodies mixing common lines with near-misses (values float() reads but
line protocol does not, long or signed timestamps, tabs, escapes, quotes,
comments, several fields), both give the same samples and the same errors.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.parsers.line_protocol import (
    parse_line_protocol,
    parse_line_protocol_columns,
    parse_line_protocol_exactly,
)
from ingestion.samples import SampleColumns
from ingestion.validation import validate_samples

NOW_US = 1_700_000_000_123_456
CHECK = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

plain_names = st.text(st.sampled_from("abcxyz_.-019:"), min_size=1, max_size=5)
odd_names = st.text(st.sampled_from("ab_.,= é"), max_size=3)
odd_values = st.sampled_from(
    ["+1", "-0.0", "1e400", "nan", "inf", "-Infinity", "1_0", "1i", "-7i", "42u", "9223372036854775808i",
     "t", "FALSE", '"s"', "0x10", "1.2.3", "", "1e", "-", "١", "1,5", "=1"]
)  # fmt: skip
plain_values = st.one_of(st.floats().map(repr), st.integers().map(str))
plain_timestamps = st.integers(min_value=0, max_value=10**12).map(str)
odd_timestamps = st.one_of(
    st.integers(min_value=0, max_value=2 * 10**19).map(str),
    st.sampled_from(["", "-5", "0001700000000", "17e8", "1700000000000000000", "9223372036854775807"]),
)


@st.composite
def lines_of_the_common_shape(draw, names=plain_names, values=plain_values, timestamps=plain_timestamps):
    """`key field=value ts`, the shape the fast path cuts."""
    tags = "".join(f",{draw(names)}={draw(names)}" for _ in range(draw(st.integers(0, 2))))
    return f"{draw(names)}{tags} {draw(names)}={draw(values)} {draw(timestamps)}"


@st.composite
def near_misses(draw) -> str:
    """A common line with an odd name, value or timestamp, or bent a little out of shape."""
    line = draw(
        lines_of_the_common_shape(
            names=st.one_of(plain_names, odd_names),
            values=st.one_of(plain_values, odd_values),
            timestamps=st.one_of(plain_timestamps, odd_timestamps),
        )
    )
    bend = draw(st.sampled_from(["", "\t", " ", "\r", "#", ",g=1", "\\ ", '"', "\x00", "\x1f"]))
    cut = draw(st.sampled_from([0, len(line), draw(st.integers(0, len(line)))]))
    return line[:cut] + bend + line[cut:]


awkward_lines = st.text(st.sampled_from(list('abcxyz019.-_=, "\\itfTFeu#\r\t\x00')), max_size=40)
non_ascii_lines = st.text(st.sampled_from(list("abc019.=, é")), max_size=30)
bodies = st.lists(
    st.one_of(*[lines_of_the_common_shape()] * 3, near_misses(), awkward_lines, non_ascii_lines), max_size=12
).map("\n".join)
precisions = st.sampled_from(["ns", "us", "ms", "s"])


def comparable(result):
    """Samples with their values by repr (NaN equals NaN), and the errors."""
    samples = [(s.metric, s.labels, s.ts_us, repr(s.value), s.line) for s in result.samples]
    return samples, result.errors


@CHECK
@given(bodies, precisions)
def test_the_fast_paths_read_any_body_as_the_exact_parser(body, precision):
    assert comparable(parse_line_protocol(body, precision, NOW_US)) == comparable(
        parse_line_protocol_exactly(body, precision, NOW_US)
    )


@CHECK
@given(
    st.lists(st.one_of(lines_of_the_common_shape(), near_misses()), max_size=30).map("\n".join), precisions
)
def test_columns_hold_the_samples_in_payload_order(body, precision):
    columns = parse_line_protocol_columns(body, precision, NOW_US)

    assert comparable(columns) == comparable(parse_line_protocol_exactly(body, precision, NOW_US))


def test_a_body_of_common_lines_is_cut_without_the_exact_parser():
    body = "\n".join(f"cpu,host=h{i % 3} usage={i}.5 {1_700_000_000 + i}" for i in range(50))

    columns = parse_line_protocol_columns(body, "s", NOW_US).samples

    assert isinstance(columns, SampleColumns)
    assert len(columns.series) == 3  # one entry per distinct series, not per line
    assert list(columns.lines) == list(range(1, 51))
    assert list(columns) == parse_line_protocol_exactly(body, "s", NOW_US).samples


def test_columns_name_only_the_series_their_points_use():
    body = "cpu,host=a v=1 1\ncpu,=x v=2 2\nmem v=3 3"  # the second key part is refused

    parsed = parse_line_protocol_columns(body, "s", NOW_US)

    assert parsed.samples.series == [("cpu_v", (("host", "a"),)), ("mem_v", ())]
    assert [e.line for e in parsed.errors] == [2]


now_s = NOW_US // 1_000_000
near_now = st.integers(min_value=now_s - 40 * 86_400, max_value=now_s + 3_600).map(str)
label_names = st.sampled_from(["host", "__x", "a", "0b", "c"])


@st.composite
def lines_to_validate(draw) -> str:
    """Common lines of valid and invalid series, values and times."""
    tags = "".join(
        f",{draw(label_names)}={draw(st.sampled_from(['', 'v', 'w']))}"
        for _ in range(draw(st.integers(0, 3)))
    )
    metric = draw(st.sampled_from(["cpu", "mem", "0bad", "a.b"]))
    value = draw(st.sampled_from(["1.5", "nan", "inf", "-2", "1e400"]))
    return f"{metric}{tags} {draw(st.sampled_from(['value', 'x']))}={value} {draw(near_now)}"


@CHECK
@given(st.lists(lines_to_validate(), min_size=1, max_size=20).map("\n".join))
def test_columns_are_validated_as_the_same_samples_in_a_list(body):
    columns = parse_line_protocol_columns(body, "s", NOW_US).samples

    by_columns = validate_samples(columns, NOW_US)
    by_list = validate_samples(list(columns), NOW_US)

    assert comparable(by_columns) == comparable(by_list)
