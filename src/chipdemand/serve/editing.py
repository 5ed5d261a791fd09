"""Edits of one input's distribution made in the page's rows, written back into the study text
with tomlkit so that every comment, blank line and key order the user wrote stays as it was.
"""

from __future__ import annotations

from typing import Any

from chipdemand.errors import StudyError

__all__ = ["edit_input", "PARAMETER_KEYS"]

#: keys that state a distribution's parameters; a change of family removes the old ones
PARAMETER_KEYS = (
    "ci",
    "level",
    "quantiles",
    "min",
    "mode",
    "max",
    "low",
    "high",
    "mean",
    "sd",
    "mu",
    "sigma",
    "median",
    "alpha",
    "beta",
    "shape",
    "scale",
    "value",
    "values",
    "probs",
)


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudyError(f"expected a number, got {value!r}", key=key)
    return float(value)


def _plain(value: float) -> float | int:
    """An integer-valued number written as an integer (``1000`` rather than ``1000.0``)."""
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def edit_input(
    text: str,
    name: str,
    *,
    dist: str | None = None,
    ci: list[float] | None = None,
    point: float | None = None,
) -> str:
    """``text`` with input ``name``'s family, 90% interval or point changed, comments kept.

    Parameters
    ----------
    text : str
        The study's TOML text.
    name : str
        An input written in this file as a table ``[inputs.NAME]``.
    dist : str, optional
        The new family; when it differs from the old one, the old parameters are removed and
        ``ci`` is required.
    ci : [low, high], optional
        The new central interval (written as ``ci``; parameters of the old form are removed).
    point : float, optional
        The new point value (the number the deterministic audit uses).

    Returns
    -------
    str
        The new text. Raises :class:`StudyError` (keyed ``inputs.NAME...``) for an input the
        file does not write as a table, or numbers that are not numbers.

    Examples
    --------
    >>> edit_input('[inputs.a] # users\\ndist = "lognormal"\\nci = [1, 2]\\n', "a", ci=[2, 3])
    '[inputs.a] # users\\ndist = "lognormal"\\nci = [2, 3]\\n'
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise StudyError(f"not valid TOML: {exc}") from None
    key = f"inputs.{name}"
    inputs = doc.get("inputs")
    table = inputs.get(name) if isinstance(inputs, dict) else None
    if not isinstance(table, dict):
        raise StudyError(
            "not written as a table [inputs.NAME] in this file (it may come from the study it "
            "extends): edit it in the text",
            key=key,
        )
    old = table.get("dist")
    family = dist or (str(old) if old is not None else None)
    if family is None or not isinstance(family, str):
        raise StudyError("give the family (dist)", key=f"{key}.dist")
    if dist is not None and dist != old and ci is None:
        raise StudyError(f"give the interval (ci) of the new family {dist!r}", key=f"{key}.ci")
    if ci is not None:
        if not isinstance(ci, list | tuple) or len(ci) != 2:
            raise StudyError("expected [low, high]", key=f"{key}.ci")
        low, high = (_number(v, f"{key}.ci") for v in ci)
        for stale in PARAMETER_KEYS:
            if stale in table and stale != "ci" and stale != "level":
                del table[stale]
        interval = tomlkit.array()
        interval.extend([_plain(low), _plain(high)])
        table["ci"] = interval
    if dist is not None and dist != old:
        table["dist"] = dist
    if point is not None:
        table["point"] = _plain(_number(point, f"{key}.point"))
    return tomlkit.dumps(doc)
