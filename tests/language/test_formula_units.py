"""Units of formulas: unit strings read, conversion factors, units as people read them, and the
hint for two units of different dimensions."""

import pytest

from chipdemand.errors import StudyError
from chipdemand.language.formula_units import conversion, mismatch_hint, parse_unit, unit_text, unit_with


def test_a_unit_string_is_read_and_a_bad_one_refused():
    assert parse_unit("GPU*hour") == parse_unit("hour*GPU")
    with pytest.raises(StudyError, match="unknown unit 'blorp'"):
        parse_unit("blorp")
    with pytest.raises(StudyError, match="not a unit expression"):
        parse_unit("3 s")


def test_conversion_factors():
    assert conversion(parse_unit("ms"), parse_unit("s")) == pytest.approx(1e-3)
    assert conversion(parse_unit("s"), parse_unit("s")) == 1.0
    assert conversion(parse_unit("s"), parse_unit("GPU")) is None


def test_units_as_people_read_them():
    assert unit_text(parse_unit("dimensionless")) == "1"
    assert unit_text(parse_unit("GPU*hour")) == "GPU·hour"


def test_the_hint_names_what_is_missing_or_extra():
    assert "lacks a [time]" in mismatch_hint(parse_unit("GPU"), parse_unit("GPU*hour"))
    assert "extra [time]" in mismatch_hint(parse_unit("GPU*hour"), parse_unit("GPU"))


def test_a_placeholder_takes_its_bound_unit():
    assert unit_with("J * {P}", {"P": parse_unit("1/day")}) == parse_unit("J/day")
    assert unit_with("J", {}) == parse_unit("J")
