"""Numbers for people: the one set of rules the terminal, the HTML report and the plots share."""

import math

import pytest

from chipdemand.display import format as fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (16204, "16,204"),  # Ping An 2023-02-28: 16,204 A100
        (388889, "388,889"),  # Ping An 2023-02-28: 388,889 GPU-hours a day
        (0.35, "0.35"),
        (12.5, "12.5"),
        (999.96, "1,000"),  # rounds to four digits first: not "1000"
        (999_999.7, "1M"),
        (4.03e8, "403M"),
        (999_999_999.99, "1B"),  # not "1000M"
        (3.43e9, "3.43B"),
        (3.4567e9, "3.457B"),
        (2.5e12, "2.5T"),
        (8.29e16, "8.29e+16"),
        (0.00123, "0.00123"),
        (-16204, "-16,204"),
        (-4.03e8, "-403M"),
        (0, "0"),
        (None, "—"),
        (math.nan, "—"),
        (math.inf, "∞"),
    ],
)
def test_numbers_are_written_for_people(value, text):
    assert fmt.number(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(2029, "2029"), (2029.5, "2029.5"), (2030.0, "2030"), (None, "—")]
)
def test_calendar_years_have_no_thousands_separator(value, text):
    assert fmt.year(value) == text
    assert fmt.value(value, "year") == text


def test_value_picks_the_rule_by_unit():
    assert fmt.value(2029, "GPU") == "2,029" and fmt.value(2029, "year") == "2029"


def test_interval_writes_both_ends_alike():
    assert fmt.interval(1112, 133544) == "1,112 – 133,544"
    assert fmt.interval(2028, 2031.5, "year") == "2028 – 2031.5"


def test_ratio():
    assert fmt.ratio(2.5832) == "×2.583" and fmt.ratio(None) == "—"


def test_relative_mcse_is_the_worst_of_the_three():
    row = {
        "low": 100.0,
        "median": 200.0,
        "high": 400.0,
        "mcse_low": 1.0,
        "mcse_median": 1.0,
        "mcse_high": 2.0,
    }
    assert fmt.relative_mcse(row) == pytest.approx(0.01)  # 1 / 100 beats 1 / 200 and 2 / 400
    assert fmt.mcse_text(row) == "±1.0%"
    small = {**row, "mcse_low": 0.05, "mcse_median": 0.0, "mcse_high": 0.0}
    assert fmt.mcse_text(small) == "±0.05%"
    zero = {**row, "low": 0.0, "mcse_low": 5.0}  # a zero value has no relative error
    assert fmt.relative_mcse(zero) == pytest.approx(1 / 200)


def test_table_aligns_text_left_and_numbers_right():
    text = fmt.table(["study", "what", "n"], [["a", "b", "1"], ["abc", "bb", "1,000"]])
    lines = text.splitlines()
    assert lines[0] == "study  what  n"  # headers read left to right
    assert lines[1] == "-----  ----  -----"
    assert lines[2] == "a      b         1"
    assert lines[3] == "abc    bb    1,000"


def test_terminal_report_and_plots_share_the_rules():
    """The report page and the plot ticks write the numbers format.number writes."""
    from chipdemand.display import plots

    assert plots._TICKS(4.03e8, 0) == fmt.number(4.03e8)
    assert plots._PLAIN(2030.0, 0) == fmt.year(2030)


def test_one_reference_formatter_for_text_and_report():
    from chipdemand.display.format import interval, reference_value, value

    assert reference_value({"ref_value": 1.2e6, "unit": "GPU"}) == value(1.2e6, "GPU")
    assert reference_value({"ref_value": 1.2e6, "unit": "GPU", "bound": "upper"}) == "≤ " + value(
        1.2e6, "GPU"
    )
    assert reference_value({"ref_value": 3.0, "unit": "", "bound": "lower"}) == "≥ " + value(3.0)
    assert reference_value({"ref_low": 1e6, "ref_high": 2e6, "unit": "GPU"}) == interval(1e6, 2e6, "GPU")
