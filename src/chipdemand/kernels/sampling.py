"""Uniform draws on fixed blocks for MC, LHS and Sobol, rank correlation (Iman–Conover), seeding.

Draw ``d`` belongs to block ``d // BLOCK``. The numbers of a run do not depend on how many draws
are processed at a time, by how many threads or dask workers, on the scenarios of the run
(common random numbers), nor on which of a study's inputs are drawn: an input's draws are a
function of the seed, its stream's name, the block, the method and, under Sobol, its dimension.

Every random number of the package comes from :func:`stream`, a generator seeded by
``SeedSequence([seed, *keys])`` (a name enters as its 64-bit :func:`stream_key`). This table
is the one list of the package's random streams; a new use of randomness adds its line here.

============================================  ============================================================
``stream(seed, name, block, 0)``              MC: the uniforms of input stream ``name`` in ``block``
``stream(seed, name, block, 1)``              LHS: the stream's strata permutation and jitter in the
                                              block (``scipy.stats.qmc.LatinHypercube``)
``stream(seed, name, block, 2)``              Sobol: the stream's linear scramble and digital shift in
                                              the block (:func:`scrambled_net`)
``stream(seed, "", block, METHODS[method])``  Iman–Conover: the permutation of van der Waerden scores
                                              of the block (:func:`iman_conover`)
``stream(seed, "stats", "mcse_hdi")``         the smoothed bootstrap of HDI bounds' error
                                              (:func:`chipdemand.kernels.stats.mcse_hdi`, seed 0 by default)
``stream(seed, "sensitivity", "pilot")``      sensitivity: the pilot sample that picks the log scale
``stream(seed, "sensitivity", "sobol", r)``   sensitivity: the ``r``-th independent replicate of the
                                              Sobol'-index design (:func:`~.kernels.sobol.sobol_indices`)
============================================  ============================================================

``block_generator(seed, name, block, method)`` is ``stream(seed, name, block, METHODS[method])``.
:mod:`chipdemand.analysis.sensitivity` is to draw from the last two lines (it still seeds its
own generators as ``default_rng(seed)`` and ``default_rng([seed, 1])``).

Sobol (``method="sobol"``): stream ``name`` is dimension ``sobol_dimensions(...)[name]`` of the
Sobol' sequence (Joe & Kuo 2008 direction numbers), its place in the alphabetical order of all
the study's inputs and stream names, drawn or not, and is scrambled by its own generator. So a
scenario joining the run, or an input turning from a point into a distribution, moves no other
stream, and the inputs still take the first, best balanced dimensions. Only a change of the
study's list of inputs (a model's, or a formula study's) can move a stream. A block is balanced
only when its draws are a power of two: see :func:`sobol_draws`.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy import special

from .._lazy import lazy_module
from ..errors import StudyError

# Sobol'/LHS blocks and correlated inputs only: imported on first use (scipy.stats is ~0.75 s)
qmc = lazy_module("scipy.stats.qmc")
linalg = lazy_module("scipy.linalg")
optimize = lazy_module("scipy.optimize")

__all__ = [
    "BLOCK",
    "METHODS",
    "stream_key",
    "stream",
    "block_generator",
    "block_uniforms",
    "sobol_dimensions",
    "sobol_columns",
    "scrambled_net",
    "sobol_draws",
    "next_draws",
    "iman_conover",
    "check_correlations",
    "spearman_to_pearson",
]

BLOCK = 1 << 16  # draws per fixed block
METHODS = {"mc": 0, "lhs": 1, "sobol": 2}
_TINY = 2.0**-54  # uniforms are clamped into the open interval (0, 1)
_NET_BITS = 53  # digits of a digital net's points: uniforms on the grid of 2**-53, as fine as a double
_NET_DIGITS = 16  # index digits of a net's generator matrix: log2(BLOCK)


def stream_key(name: str) -> int:
    """A stable 64-bit integer for an input's name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """The generator of one purpose of a run, from the run's seed and the purpose's keys.

    Parameters
    ----------
    seed : int
        The run's seed (a non-negative whole number).
    *keys : str or int
        What the stream is for: a name first (an input's stream, or a purpose such as
        ``"sensitivity"``), then names or whole numbers below ``2**32 - 1`` (a block, a
        method's code, a replicate). Every stream of the package is listed in this module's
        docstring.

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded by ``SeedSequence([seed, *keys])``, each name entering as its
        :func:`stream_key`. SeedSequence pads entropy shorter than four 32-bit words with zeros,
        so such short entropy gets a last word ``2**32 - 1``: distinct key tuples then always
        give distinct, independent streams (up to a 64-bit collision of two names' hashes).

    Examples
    --------
    >>> a = stream(0, "sensitivity", "pilot").random(3)
    >>> b = stream(0, "sensitivity", "sobol", 0).random(3)  # another purpose: independent numbers
    """
    words = [_whole(seed, "seed")]
    for i, key in enumerate(keys):
        if isinstance(key, str):
            words.append(stream_key(key))
        elif i == 0:
            raise TypeError(f"a random stream's first key is a name, got {key!r}")
        else:
            words.append(_whole(key, "key", below=_END))
    if sum(max(1, -(-w.bit_length() // 32)) for w in words) <= 4:
        words.append(_END)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


_END = 2**32 - 1  # marks the end of short entropy (see stream)


def _whole(value: object, what: str, below: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < 0
        or (below is not None and value >= below)
    ):
        limit = "" if below is None else f" below {below}"
        raise TypeError(f"a random stream's {what} must be a non-negative whole number{limit}, got {value!r}")
    return int(value)


def block_generator(seed: int, name: str, block: int, method: str = "mc") -> np.random.Generator:
    """The generator of stream ``name`` in ``block``: ``stream(seed, name, block, METHODS[method])``."""
    return stream(seed, name, block, METHODS[method])


def block_uniforms(
    method: str,
    seed: int,
    streams: Sequence[str],
    block: int,
    size: int,
    stop: int | None = None,
    dimensions: Mapping[str, int] | None = None,
) -> dict[str, np.ndarray]:
    """Uniforms in (0, 1) of each stream for the first ``stop`` draws of a block of ``size``.

    ``size`` is the block's full length (``BLOCK``, or less for a run's last block): LHS and
    Sobol stratify the whole block, so a partial read gives the same numbers as a full one.
    A stream's numbers depend only on ``(method, seed, name, block, size)`` and, under Sobol,
    on its dimension: ``dimensions[name]`` (from :func:`sobol_dimensions` of the study's
    streams), by default its place among ``streams`` sorted, which moves when streams are
    added. Under Sobol a block whose ``size`` is not a power of two takes the first ``size``
    points of the next power of two, which are not balanced (:func:`sobol_draws`).
    """
    stop = size if stop is None else stop
    if method == "mc":
        out = {name: block_generator(seed, name, block).random(stop) for name in streams}
    elif method == "lhs":
        out = {}
        for name in streams:
            lhs = qmc.LatinHypercube(d=1, rng=block_generator(seed, name, block, "lhs"))
            out[name] = lhs.random(size)[:stop, 0]
    elif method == "sobol":
        digits = max(0, math.ceil(math.log2(size)))
        dims = sobol_dimensions(streams) if dimensions is None else dimensions
        out = {
            name: scrambled_net(
                sobol_columns(dims[name]), block_generator(seed, name, block, "sobol"), digits
            )[:stop]
            for name in streams
        }
    else:
        raise StudyError(f"unknown method {method!r} (expected one of: {', '.join(METHODS)})", key="method")
    for u in out.values():
        np.maximum(u, _TINY, out=u)
    return out


# ----------------------------------------------------------------------------- Sobol nets
def sobol_dimensions(names: Iterable[str]) -> dict[str, int]:
    """The Sobol' dimension of each stream: its place in the alphabetical order of ``names``.

    ``names`` should be every stream a study can have (all its inputs, drawn or not, and every
    ``stream`` name of its base and scenarios), not the streams of one run: then which
    scenarios run, and which inputs are drawn or held at a point, never moves a stream to
    another dimension. Low dimensions of Sobol' sequences are balanced best, so the study's
    inputs take the first ones.
    """
    return {name: i for i, name in enumerate(sorted(set(names)))}


@functools.cache
def _direction_numbers(count: int) -> np.ndarray:
    """Direction numbers (53-bit) of Sobol' dimensions ``0..count-1``, shape ``(count, 16)``.

    Read from ``scipy.stats.qmc.Sobol`` (Joe & Kuo 2008 numbers) through its public API: in
    its Gray-code order, points ``2**k - 1`` and ``2**k`` differ by direction number ``k``.
    """
    engine = qmc.Sobol(d=count, scramble=False, bits=_NET_BITS)
    columns = np.empty((count, _NET_DIGITS), dtype=np.uint64)
    points = engine.random(2)
    for k in range(_NET_DIGITS):
        if k:
            points = np.vstack([points[-1:], engine.random((1 << k) + 1 - engine.num_generated)])
        ints = (points[-2:] * 2.0**_NET_BITS).astype(np.uint64)
        columns[:, k] = ints[0] ^ ints[1]
    return columns


def sobol_columns(dimension: int) -> np.ndarray:
    """The 16 direction numbers (53-bit integers) of Sobol' dimension ``dimension`` (0-based)."""
    if not 0 <= dimension < qmc.Sobol.MAXDIM:
        raise ValueError(f"Sobol' dimensions run from 0 to {qmc.Sobol.MAXDIM - 1}, got {dimension}")
    count = max(64, 1 << int(dimension).bit_length())  # tables of 64, 128, ... dimensions
    return _direction_numbers(min(count, qmc.Sobol.MAXDIM))[dimension]


def scrambled_net(columns: np.ndarray, rng: np.random.Generator, digits: int) -> np.ndarray:
    """``2**digits`` points in [0, 1) of one dimension of a digital net, scrambled by ``rng``.

    Point ``i`` is ``L C a(i) + e`` over GF(2): ``a(i)`` the binary digits of ``i``, ``C``
    the generator matrix whose columns are ``columns`` (e.g. :func:`sobol_columns`), ``L`` a
    random lower unit-triangular matrix and ``e`` a random digital shift (Matoušek's linear
    matrix scramble, as ``scipy.stats.qmc.Sobol`` does it), both from ``rng``. Each point is
    uniform on the grid of ``2**-53``; the scramble keeps the net's balance: for Sobol' columns
    the first ``2**k`` points fall one in each interval of width ``2**-k``, and two dimensions
    scrambled by independent generators keep their joint balance.

    Parameters
    ----------
    columns : numpy.ndarray
        At least ``digits`` direction numbers, unsigned 53-bit integers (digit 1 of a number is
        its bit 52).
    rng : numpy.random.Generator
        Source of ``L`` and ``e`` (54 draws whatever ``digits`` is, so that the first ``2**k``
        points of a larger net are those of a smaller one).
    digits : int
        ``log2`` of the number of points, 0 to 16.

    Returns
    -------
    numpy.ndarray
        Float64 points, shape ``(2**digits,)``.
    """
    if not 0 <= digits <= min(_NET_DIGITS, len(columns)):
        raise ValueError(
            f"a net of these columns has 0 to {min(_NET_DIGITS, len(columns))} digits, got {digits}"
        )
    one = np.uint64(1)
    full = (one << np.uint64(_NET_BITS)) - one
    words = rng.integers(0, 1 << 62, size=_NET_BITS + 1, dtype=np.uint64)
    # row r of L: its diagonal digit r and random digits to its left (digits l < r)
    r = np.arange(_NET_BITS, dtype=np.uint64)
    diagonal = one << (np.uint64(_NET_BITS - 1) - r)
    rows = (words[:_NET_BITS] & ~((diagonal << one) - one) & full) | diagonal
    bits = _parity(rows[:, None] & np.asarray(columns[:digits], dtype=np.uint64)[None, :])
    scrambled = np.bitwise_or.reduce(bits << (np.uint64(_NET_BITS - 1) - r)[:, None], axis=0)
    points = np.empty(1 << digits, dtype=np.uint64)
    points[0] = words[-1] & full  # point 0 is L C 0 + e = e
    for j in range(digits):  # points 2**j .. 2**(j+1)-1 are points 0 .. 2**j-1 plus column j
        np.bitwise_xor(points[: 1 << j], scrambled[j], out=points[1 << j : 2 << j])
    return points.astype(np.float64) * 2.0**-_NET_BITS


def _parity(x: np.ndarray) -> np.ndarray:
    """1 where an unsigned 64-bit word has an odd number of set bits, else 0."""
    for shift in (32, 16, 8, 4, 2, 1):
        x = x ^ (x >> np.uint64(shift))
    return x & np.uint64(1)


# ----------------------------------------------------------------------------- Sobol sizes
def sobol_draws(draws: int) -> int:
    """The number of draws a Sobol run takes for ``draws`` asked: every block a power of two.

    A block of Sobol draws is balanced only when it holds a power of two of them. Full blocks
    (``BLOCK = 2**16``) are; a run's last, partial block is rounded up to the next power of two.
    So 100,000 draws become 65,536 + 65,536 = 131,072, 70,000 become 65,536 + 8,192 = 73,728,
    and 10,000 become 16,384. The result is at most twice ``draws`` and at most ``BLOCK - 1``
    draws more than it.

    Parameters
    ----------
    draws : int
        Draws asked for (positive).

    Returns
    -------
    int
        ``draws`` itself when it is already a valid Sobol size, else the smallest valid size
        above it.

    Examples
    --------
    >>> sobol_draws(100_000), sobol_draws(70_000), sobol_draws(1 << 20)
    (131072, 73728, 1048576)
    """
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise StudyError(f"must be a positive whole number, got {draws!r}", key="draws")
    full, rest = divmod(int(draws), BLOCK)
    return full * BLOCK + (1 << (rest - 1).bit_length() if rest else 0)


def next_draws(draws: int, wanted: float, method: str, max_draws: int) -> int:
    """The next run size of ``--draws auto``: at least ``wanted`` and twice ``draws``.

    Under MC and LHS a size above ``BLOCK`` is rounded up to whole blocks; under Sobol every
    size is a valid Sobol size (:func:`sobol_draws`): powers of two up to ``BLOCK``, whole
    blocks above. The result never exceeds ``max_draws`` (for Sobol, the largest valid size
    not above it, but at least ``draws``).

    Parameters
    ----------
    draws : int
        The size just run.
    wanted : float
        The size the error's ``1/sqrt(n)`` rule predicts is enough.
    method : {"mc", "lhs", "sobol"}
    max_draws : int
        The cap of the search.

    Returns
    -------
    int

    Examples
    --------
    >>> next_draws(16_384, 40_000, "sobol", 1 << 24), next_draws(16_384, 40_000, "mc", 1 << 24)
    (65536, 40000)
    """
    if method not in METHODS:
        raise StudyError(f"unknown method {method!r} (expected one of: {', '.join(METHODS)})", key="method")
    n = int(max(float(wanted), 2.0 * draws))
    if method == "sobol":
        size = sobol_draws(n)
        if size > max_draws:
            size = max(_sobol_floor(max_draws), draws)
        return size
    return int(min(max_draws, -(-n // BLOCK) * BLOCK if n > BLOCK else n))


def _sobol_floor(draws: int) -> int:
    """The largest valid Sobol size not above ``draws`` (at least 1)."""
    if draws >= BLOCK:
        return draws // BLOCK * BLOCK
    return 1 << (max(int(draws), 1).bit_length() - 1)


# ----------------------------------------------------------------------------- correlation
def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """The normal-scores correlation whose rank correlation is ``rho``: 2 sin(π ρ / 6)."""
    return 2 * np.sin(np.pi * np.asarray(rho) / 6)


def _matrix(pairs: Mapping[tuple[str, str], float]) -> tuple[list[str], np.ndarray]:
    names = sorted({n for pair in pairs for n in pair})
    index = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for (a, b), rho in pairs.items():
        m[index[a], index[b]] = m[index[b], index[a]] = rho
    return names, m


def _factor(corr: np.ndarray) -> np.ndarray:
    """A matrix ``F`` with ``F @ F.T == corr`` (Cholesky, or eigen for singular matrices)."""
    try:
        return linalg.cholesky(corr, lower=True)
    except linalg.LinAlgError:
        w, v = linalg.eigh(corr)
        return v * np.sqrt(np.clip(w, 0, None))


def iman_conover(
    uniforms: dict[str, np.ndarray], pairs: Mapping[tuple[str, str], float], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Reorder the uniforms of correlated inputs to the requested rank correlations.

    Iman & Conover (1982), "A distribution-free approach to inducing rank correlation among input
    variables": van der Waerden scores are permuted at random, made to have exactly the target
    correlation (Cholesky of the target times the inverse Cholesky of their sample correlation),
    and each input's draws are put in the rank order of its column. Each input's values are only
    permuted, so its marginal is kept exactly.
    """
    if not pairs:
        return uniforms
    names, spearman = _matrix(pairs)
    n = uniforms[names[0]].size
    if n <= len(names) + 1:
        return uniforms
    scores = special.ndtri(np.arange(1, n + 1) / (n + 1))
    x = rng.permuted(np.tile(scores, (len(names), 1)), axis=1)  # (inputs, n): rows contiguous
    sample = np.corrcoef(x)
    white = linalg.solve_triangular(_factor(sample), x, lower=True)
    target = _factor(spearman_to_pearson(spearman)) @ white
    out = dict(uniforms)
    for j, name in enumerate(names):
        values = np.empty(n)
        values[_order(target[j])] = np.sort(uniforms[name])  # r-th smallest u to the r-th target
        out[name] = values
    return out


def _order(t: np.ndarray) -> np.ndarray:
    """``np.argsort(t, kind="stable")``; by NumPy's SIMD sort when ``t`` has no ties (same order)."""
    order = np.argsort(t)
    s = t[order]
    if np.any(s[1:] == s[:-1]):
        order = np.argsort(t, kind="stable")
    return order


def check_correlations(pairs: Mapping[tuple[str, str], float]) -> None:
    """Refuse a rank-correlation matrix that is not positive semi-definite.

    The error names the pair whose change alone would repair the matrix most cheaply, and the
    nearest value of it that does (the matrix is never repaired silently).
    """
    if not pairs:
        return
    names, m = _matrix(pairs)
    if np.linalg.eigvalsh(m)[0] >= -1e-10:
        return
    index = {n: i for i, n in enumerate(names)}
    best = None
    for (a, b), rho in pairs.items():
        i, j = index[a], index[b]

        def smallest_eig(c, i=i, j=j):
            t = m.copy()
            t[i, j] = t[j, i] = c
            return np.linalg.eigvalsh(t)[0]

        peak = optimize.minimize_scalar(lambda c: -smallest_eig(c), bounds=(-1, 1), method="bounded")
        if smallest_eig(peak.x) < 0:
            continue
        nearest = optimize.brentq(smallest_eig, rho, peak.x, xtol=1e-6)
        # step a little inside the valid interval so the value given back is itself accepted
        nearest = math.floor(nearest * 100) / 100 if nearest < rho else math.ceil(nearest * 100) / 100
        if best is None or abs(nearest - rho) < abs(best[2] - rho):
            best = (a, b, nearest, rho)
    if best is None:
        raise StudyError(
            "the rank correlations are jointly impossible (the matrix is not positive "
            "semi-definite) and no single change repairs them",
            key="correlations",
        )
    a, b, nearest, rho = best
    raise StudyError(
        f"rank correlation {rho:g} is impossible together with the others (the matrix is not "
        f"positive semi-definite); the nearest valid value is {nearest:g}",
        key=f"correlations.{a}.{b}",
    )
