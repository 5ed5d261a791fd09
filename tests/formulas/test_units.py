"""The unit metadata of the formula library (``@units``) agrees with each function's arithmetic.

Study formulas call library functions on plain floats in the units ``@units`` records, so a wrong
record is a wrong answer. Each function is called twice: on pint quantities in the declared units,
and on their plain magnitudes; pint's answer, expressed in the declared return unit, must be the
plain answer. Functions whose arithmetic hides a unit conversion in a plain constant (÷ 3600 s/h)
cannot be checked this way and are listed with that constant.
"""

import inspect

import numpy as np
import pytest

from chipdemand.formulas import library
from chipdemand.formulas._units import BOOL, PLACEHOLDER, signature_of, units
from chipdemand.units import registry

#: functions whose plain constants carry a unit, and which one
HIDDEN_CONSTANTS = {
    "gpu_hours": "÷ 3,600 s/hour",
    "energy_kwh": "÷ 1,000 W/kW",
    "training_energy": "× 3,600 s/hour",
    "emissions": "÷ 3.6e6 J/kWh and 1,000 g/kg",
    "electricity_cost": "÷ 3.6e6 J/kWh",
    "pf_days": "÷ 8.64e19 FLOP/PF-day",
    "flops_from_pf_days": "× 8.64e19 FLOP/PF-day",
    "annual_factor_from_doubling_months": "12 months/year in the exponent",
    "annual_factor_from_growth": "the period in years in the exponent",
    "growth_per_period_to_rate": "the period in years in the exponent",
    "cagr": "the years in the exponent",
    "doubling_months_from_annual_factor": "× 12 months/year",
    "crossing_year": "calendar years and logarithms of growth factors",
}
#: functions pint cannot run (NumPy functions it does not wrap); their records are checked by hand
PINT_CANNOT = {"servers_needed", "gpus_per_replica", "patches_per_frame", "patches_per_video"}
FUNCTIONS = library()


def test_every_public_formula_records_its_units():
    missing = [name for name, fn in FUNCTIONS.items() if signature_of(fn) is None]
    assert not missing, f"decorate with chipdemand.formulas._units.units: {missing}"


def test_the_decorator_refuses_a_half_declared_function():
    with pytest.raises(TypeError, match="@units of f: no unit for b"):

        @units("W", a="W")
        def f(a, b):
            return a * b

    with pytest.raises(TypeError, match="no parameter c"):

        @units("W", a="W", b="1", c="1")
        def g(a, b):
            return a * b

    with pytest.raises(TypeError, match="b has a default, so no {placeholder}"):

        @units("{X}", a="{X}", b="{X}")
        def h(a, b=1.0):
            return a * b


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_declared_units_agree_with_the_arithmetic(name):
    fn = FUNCTIONS[name]
    sig = signature_of(fn)
    if not sig.elementwise:
        pytest.skip("not callable from study files")
    if name in HIDDEN_CONSTANTS:
        pytest.skip(f"a constant with a unit: {HIDDEN_CONSTANTS[name]}")
    if name in PINT_CANNOT:
        pytest.skip("uses NumPy functions pint does not wrap")
    ureg = registry()
    bound = "hour"  # a placeholder stands for any unit: take a dimensioned one

    def unit(text):
        return PLACEHOLDER.sub(f"({bound})", text)

    parameters = inspect.signature(fn).parameters
    plain, quantities = {}, {}
    for i, (param, spec) in enumerate(sig.params.items()):
        if spec == BOOL:
            default = parameters[param].default
            plain[param] = quantities[param] = False if default is inspect.Parameter.empty else default
            continue
        value = 1.25 + 0.5 * i
        plain[param] = value
        quantities[param] = ureg.Quantity(value, unit(spec))
    expected = fn(**plain)
    got = fn(**quantities)
    returns = ureg.Quantity(1.0, unit(sig.returns)).units
    if isinstance(got, ureg.Quantity):
        np.testing.assert_allclose(got.to(returns).magnitude, expected, rtol=1e-12)
    else:
        assert returns.dimensionless and ureg.Quantity(1.0, returns).to("").magnitude == 1.0
        np.testing.assert_allclose(got, expected, rtol=1e-12)
