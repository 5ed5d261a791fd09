"""Inputs read from the accelerator catalogue (priors/hardware.toml) by chip name.

``{ dist = "catalog", chip = "A100", field = "peak_fp16_flops" }`` is the catalogue's value;
``chips = { A100_40GB = 0.5, A100 = 0.5 }`` is a choice among chips. A chip with no public
value for the field is refused with an error naming the chip and the field (never a zero). The
input's source cites each chip's reference for that field. A field given as a range
(``price_usd = [low, high]``) is uniform within the chosen chip's range. Inputs that give the
same ``chips`` table and share a random stream (``stream = "..."``) always describe the same chip
in a draw: the chip is chosen by which probability segment the uniform falls in, and a range by
where in that segment it falls. The segments follow the chips' values (the stream's own input
sets the order for the others), not the order the study lists them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..catalog import FIELD_UNITS, catalogue_source, field_value, read_catalog
from ..catalog import chip as lookup
from ..errors import StudyError, did_you_mean
from .base import Distribution, family, require_keys

__all__ = ["Catalogued", "FIELD_UNITS"]


@family("catalog")
class Catalogued(Distribution):
    """A chip's catalogue value, or a choice among chips (``chips`` with probabilities)."""

    keys = frozenset({"chip", "chips", "field"})
    continuous = False

    def __init__(self, field: str, chips: dict[str, float]) -> None:
        catalog = read_catalog()  # read only: shared, not copied
        low, high = [], []
        for name in chips:
            try:
                lookup(name, catalog)
            except KeyError as err:
                raise StudyError(str(err.args[0]), key="chips" if len(chips) > 1 else "chip") from None
            value = field_value(name, field, catalog)  # a StudyError (key "field") if not public
            lo, hi = (value, value) if not isinstance(value, list) else value
            low.append(float(lo))
            high.append(float(hi))
        p = np.array(list(chips.values()), dtype=float)
        if np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
            raise StudyError(f"chip probabilities must be >= 0 and sum to 1, got {chips}", key="chips")
        self.field, self.chips = field, dict(chips)
        self.probs = p / p.sum()
        self.low, self.high = np.array(low), np.array(high)
        # chips by value (the middle of a range), so that quantiles, a tornado's ends and rank
        # correlations follow the value whatever order the study lists the chips in
        self._use_order(np.argsort((self.low + self.high) / 2, kind="stable"))
        self.support = (float(self.low.min()), float(self.high.max()))
        self.source = catalogue_source(field, list(chips), catalog)
        self.spec = {"field": field, "chips": self.chips}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        require_keys(spec, ("field",), "catalog")
        field = spec["field"]
        if not isinstance(field, str):
            raise StudyError(f"expected a field's name (text), got {field!r}", key="field")
        if field not in FIELD_UNITS:
            raise StudyError(f"unknown field {field!r}" + did_you_mean(field, FIELD_UNITS), key="field")
        if ("chip" in spec) == ("chips" in spec):
            raise StudyError(
                "give either 'chip' (one name) or 'chips' (names with probabilities)", key="chip"
            )
        if "chip" in spec:
            if not isinstance(spec["chip"], str):
                raise StudyError(f"expected a chip's name, got {spec['chip']!r}", key="chip")
            return cls(field, {spec["chip"]: 1.0})
        chips = spec["chips"]
        if (
            not isinstance(chips, dict)
            or not chips
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in chips.values())
        ):
            raise StudyError(f"expected a table of chip names and probabilities, got {chips!r}", key="chips")
        return cls(field, {str(k): float(v) for k, v in chips.items()})

    @property
    def is_point(self) -> bool:
        return len(self.chips) == 1 and self.low[0] == self.high[0]

    def _use_order(self, order: np.ndarray) -> None:
        """Map uniforms to the chips in ``order`` (indices into the listed chips)."""
        self._order = np.asarray(order, dtype=np.intp)
        probs = self.probs[self._order]
        self._start = np.concatenate([[0.0], np.cumsum(probs)[:-1]])
        self._cum = np.cumsum(probs)[:-1]

    @property
    def chip_order(self) -> list[str]:
        """The chips in the order uniforms map to them (by this field's value, or a leader's)."""
        names = list(self.chips)
        return [names[i] for i in self._order]

    def follow(self, leader: Catalogued) -> None:
        """Draw the chips in ``leader``'s order: inputs that share a random stream describe one
        chip in each draw, so they must agree on which chip a uniform picks (the leader's field,
        the stream's own input, sets the order; the others' values need not increase)."""
        names = list(self.chips)
        self._use_order(np.array([names.index(name) for name in leader.chip_order]))

    def ppf(self, u: FloatArray) -> FloatArray:
        u = np.asarray(u, dtype=float)
        k = np.searchsorted(self._cum, u, side="right")
        i = self._order[k]
        within = np.clip((u - self._start[k]) / self.probs[i], 0.0, 1.0)
        return self.low[i] + (self.high[i] - self.low[i]) * within

    def describe(self) -> str:
        chips = ", ".join(f"{name}: {p:.3g}" for name, p in zip(self.chips, self.probs, strict=True))
        return f"catalog({self.field} of {chips})"
