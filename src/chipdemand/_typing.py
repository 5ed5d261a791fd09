"""Type aliases shared by the kernels (formulas, statistics, distributions).

A kernel computes on a plain float or on an array of draws alike and answers in kind; its
parameters and result are :data:`Values`. A function that converts its argument with
``np.asarray`` first takes anything array-like (:data:`numpy.typing.ArrayLike`) instead.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["FloatArray", "Values", "Flags"]

#: an array of float64 (draws, quantiles, probabilities)
FloatArray: TypeAlias = NDArray[np.float64]
#: a float or an array of floats: what a kernel's arithmetic takes and gives back
Values: TypeAlias = float | NDArray[np.float64]
#: a flag or an array of flags (``by_memory = memory_check == "by_memory"`` in a study formula)
Flags: TypeAlias = bool | NDArray[np.bool_]
