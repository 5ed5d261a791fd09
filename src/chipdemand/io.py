"""Files the user keeps: results (netCDF), tables (CSV) and draws (CSV or Parquet), written safely.

Every write is atomic and exclusive (:func:`atomic_write`): the file is written to a temporary
file created exclusively beside the target, then linked into place only if no file is there
(or renamed over it with ``force``), so two runs saving to one path never both report success
with one lost, and an error or Ctrl-C at any moment leaves the old file or the new one, never a
half-written one. Files get the user's umask. Targets are checked before any work starts
(:func:`check_target`). Only a regular file is ever replaced (with ``force``); a symbolic link to
a regular file is written through (its target replaced atomically, the link kept), anything else
(a device, a FIFO, a folder, a link to one) is refused. A signal that arrives while a file is
written stops the write before its rename (:func:`interrupt_write`). A saved run carries its
provenance, the study's text and a hash of its draws, so a damaged or altered file is found when
it is read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._lazy import lazy_module
from .errors import StudyError
from .validate import SAVED_RUN_SUFFIXES

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
else:  # read when a run is saved, loaded or written as CSV: `new` writes a study without them
    pd = lazy_module("pandas")
    xr = lazy_module("xarray")

__all__ = [
    "is_saved_run",
    "json_value",
    "check_target",
    "check_results_target",
    "check_draws_target",
    "writing",
    "interrupt_write",
    "atomic_write",
    "remove_temporaries",
    "save_results",
    "load_results",
    "altered",
    "draws_digest",
    "draws_frame",
    "write_csv",
    "save_draws",
    "DRAW_FORMATS",
]

#: file suffixes :func:`save_draws` writes
DRAW_FORMATS = (".csv", ".parquet")


#: temporary files being written right now (removed by :func:`remove_temporaries` on Ctrl-C)
_TEMPORARIES: set[str] = set()
#: writes in progress, and whether a signal asked them to stop (see :func:`interrupt_write`)
_WRITES = {"active": 0, "interrupted": 0}


def is_saved_run(source: Any) -> bool:
    """Whether ``source`` names a saved run: a path (text or ``os.PathLike``) ending in ``.nc``,
    ``.nc4`` or ``.h5`` (a Study, a Run or a Dataset is not a path: False)."""
    if not isinstance(source, str | os.PathLike):
        return False
    name = os.fspath(source)
    return isinstance(name, str) and os.path.splitext(name)[1].lower() in SAVED_RUN_SUFFIXES


def json_value(value: Any) -> Any:
    """A value as JSON holds it: NumPy scalars as Python numbers, NaN, ±inf, NA and None as None."""
    if value is None or ("pandas" in sys.modules and value is pd.NA):  # no NA without pandas
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def writing() -> bool:
    """Whether a file is being written right now (by :func:`atomic_write`)."""
    return _WRITES["active"] > 0


def interrupt_write() -> None:
    """Ask the writes in progress to stop: each raises KeyboardInterrupt once its writer returns,
    before its rename (the temporary file removed, the target untouched). The command line's
    signal handler calls it instead of raising inside the writer, where a KeyboardInterrupt is
    printed as "Exception ignored" and lost."""
    _WRITES["interrupted"] = 1


def remove_temporaries() -> None:
    """Remove every temporary file a write in progress has made (the targets are untouched)."""
    for tmp in list(_TEMPORARIES):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _TEMPORARIES.discard(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _describe(exc: OSError) -> str:
    reason = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EISDIR: "is a directory",
        errno.ENOENT: "no such folder",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ENAMETOOLONG: "file name too long",
    }.get(exc.errno or 0)
    return reason or (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _landing(path: Path) -> Path:
    """Where a write to ``path`` lands: ``path`` itself (absent, or a regular file), or the
    target of a symbolic link to a regular file. Anything else is refused with what it is."""
    if path.is_symlink():
        link = os.readlink(path)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            raise StudyError(
                f"is a symbolic link to {link}, which does not exist: remove the link or give another name",
                file=str(path),
            ) from None
        if not stat.S_ISREG(mode):
            raise StudyError(
                f"is a symbolic link to {link}, {_kind(mode)}: only a regular file is written through a link",
                file=str(path),
            )
        return Path(os.path.realpath(path))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise StudyError(f"cannot write here ({_describe(exc)})", file=str(path)) from None
    if stat.S_ISDIR(mode):
        raise StudyError("is a folder; give a file name", file=str(path))
    if not stat.S_ISREG(mode):
        raise StudyError(f"is {_kind(mode)}, not a regular file: it is never replaced", file=str(path))
    return path


def check_target(path: str | os.PathLike[str], *, force: bool = False, size: int | None = None) -> Path:
    """Check, before any work, that a file can be written at ``path``.

    The folder must exist and be writable; ``path`` must not exist unless ``force``, and then it
    must be a regular file (or a symbolic link to one, whose target is replaced): a folder, a
    device, a FIFO or a link to anything else is refused. The folder's file system must have room
    for ``size`` bytes (when given). Raises :class:`~chipdemand.errors.StudyError` naming the path.
    """
    given = Path(path)
    path = _landing(given)
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not force:
        raise StudyError("already exists (use --force to overwrite)", file=str(given))
    if not folder.is_dir():
        raise StudyError("no such folder", file=str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StudyError("cannot write into this folder (permission denied)", file=str(folder))
    if size is not None:
        free = shutil.disk_usage(folder).free
        if size > free:
            raise StudyError(
                f"needs about {size / 2**30:.3g} GiB and the disk has {free / 2**30:.3g} GiB free: "
                "give fewer --draws or save somewhere else",
                file=str(path),
            )
    return given


def check_results_target(
    path: str | os.PathLike[str], *, force: bool = False, size: int | None = None
) -> Path:
    """:func:`check_target` for a saved run: its name must end in ``.nc``, ``.nc4`` or ``.h5``."""
    if not is_saved_run(path):
        raise StudyError(
            f"a saved run is a netCDF file: give a name ending in .nc, .nc4 or .h5, got {Path(path).name!r}",
            file=str(path),
        )
    return check_target(path, force=force, size=size)


def check_draws_target(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """:func:`check_target` for exported draws: a ``.csv`` file, or ``.parquet`` when pyarrow is
    installed (``chipdemand[parquet]``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DRAW_FORMATS:
        raise StudyError(f"expected a .csv or .parquet file name, got {path.name!r}", file=str(path))
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise StudyError(
                "Parquet needs pyarrow: pip install 'chipdemand[parquet]' (or save as .csv)", file=str(path)
            ) from None
    return check_target(path, force=force)


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None], *, force: bool = False) -> Path:
    """Write a file with ``write(temporary_path)`` and put it at ``path`` atomically.

    The temporary file is created exclusively in the target's folder. Without ``force`` it is
    hard-linked to ``path``, which fails if a file appeared there meanwhile (exclusive: of two
    concurrent writers one wins, the other gets an error); with ``force`` it is renamed over
    ``path``. On any error or interrupt the temporary file is removed and the old file stays.
    A symbolic link to a regular file is written through (its target replaced, the link kept);
    only a regular file is replaced (see :func:`check_target`).
    """
    given = Path(path)
    path = _landing(given)
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    _WRITES["active"] += 1  # from here a signal waits for the write to stop (no file left behind)
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise StudyError(f"cannot write here ({_describe(exc)})", file=str(given)) from None
        os.close(fd)
        _TEMPORARIES.add(tmp)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if _WRITES["interrupted"]:  # a signal came while writing: stop before the rename
            raise KeyboardInterrupt
        if force:
            _landing(given)  # still a regular file (or nothing) now, just before it is replaced
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise StudyError("already exists (use --force to overwrite)", file=str(given)) from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                # a file system without hard links: exclusive create, then rename over it
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                except FileExistsError:
                    raise StudyError("already exists (use --force to overwrite)", file=str(given)) from None
                os.replace(tmp, path)
    except OSError as exc:
        raise StudyError(f"cannot write ({_describe(exc)})", file=str(given)) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            _TEMPORARIES.discard(tmp)
        _WRITES["active"] -= 1
    if _WRITES["interrupted"] and not writing():  # the signal came after the check: stop now
        raise KeyboardInterrupt
    return given


# ----------------------------------------------------------------------------- results
def draws_digest(res: xr.Dataset) -> str:
    """SHA-256 of a run's variables (names, dims and float64 bytes), in a stable order."""
    h = hashlib.sha256()
    for name in sorted(str(v) for v in res.data_vars):
        da = res[name]
        h.update(name.encode())
        h.update(repr(tuple(str(d) for d in da.dims)).encode())
        h.update(np.ascontiguousarray(np.asarray(da.values, dtype=np.float64)).tobytes())
    return h.hexdigest()


def save_results(res: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``res`` to ``path`` (netCDF4 via h5netcdf), atomically and exclusively.

    Refuses an existing file unless ``force``. The file carries ``draws_sha256``, a digest of the
    draws, which :func:`load_results` checks.
    """
    path = check_results_target(path, force=force)
    ds = res.copy()
    for var in ds.data_vars:  # broadcast views (shared inputs) are written as plain arrays
        if isinstance(ds[var].data, np.ndarray) and not ds[var].data.flags.writeable:
            ds[var] = ds[var].copy(data=np.ascontiguousarray(ds[var].values))
    ds.attrs["draws_sha256"] = draws_digest(ds)
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"), force=force)


def load_results(path: str | os.PathLike[str], *, verify: bool = True) -> xr.Dataset:
    """Read results saved by :func:`save_results` (fully into memory).

    A file that is not a chipdemand results file, is damaged (truncated, a zeroed header:
    whatever the HDF5 layer raises), or whose draws no longer match the digest saved with them
    (``verify``) is a :class:`~chipdemand.errors.StudyError`.
    """
    path = Path(path)
    if path.is_dir():
        raise StudyError("is a folder, not a results file", file=str(path))
    if not path.is_file():
        raise StudyError("no such file", file=str(path))
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            res = ds.load()
    except Exception as exc:  # noqa: BLE001 - h5py/h5netcdf raise many kinds for a damaged file
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise StudyError(
            f"not a chipdemand results file, or a damaged one ({reason})", file=str(path)
        ) from None
    if "draw" not in res.dims or "study" not in res.attrs:
        raise StudyError("not a chipdemand results file (no draws or no study)", file=str(path))
    if verify:
        problem = altered(res)
        if problem:
            raise StudyError(problem, file=str(path))
    return res


def altered(res: xr.Dataset) -> str | None:
    """What no longer matches in a saved run: its draws against their digest, or its study text
    against the study's hash (``None`` when both match or were not recorded)."""
    a = res.attrs
    saved = a.get("draws_sha256")
    if saved is not None:
        body = res.copy()
        body.attrs = {}
        if draws_digest(body) != str(saved):
            return "the draws do not match the digest saved with them (the file was altered or damaged)"
    text, sha = a.get("study_toml"), a.get("study_sha256")
    if text is not None and sha is not None and hashlib.sha256(str(text).encode()).hexdigest() != str(sha):
        return "the study text saved with the run does not match its hash (the file was altered)"
    return None


# ----------------------------------------------------------------------------- tables and draws
def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a table as CSV (UTF-8, a header row, ``.`` decimals), atomically and exclusively."""
    path = check_target(path, force=force)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False), force=force)


def draws_frame(res: xr.Dataset, outputs: Sequence[str]) -> pd.DataFrame:
    """Draws of ``outputs`` as a long table: scenario, draw (and year), one column per output.

    Outputs over years and outputs without years cannot share rows: give one kind at a time.
    """
    dims = {tuple(d for d in res[o].dims) for o in outputs}
    if len(dims) > 1:
        raise StudyError(
            "outputs with and without years cannot share one table; export them separately",
            key="output",
        )
    frame = res[list(outputs)].to_dataframe().reset_index()
    keep = [c for c in ("scenario", "draw", "year") if c in frame.columns]
    return frame[[*keep, *outputs]]


def save_draws(
    res: xr.Dataset, path: str | os.PathLike[str], outputs: Sequence[str], *, force: bool = False
) -> Path:
    """Export the draws of ``outputs`` to CSV, or Parquet (``.parquet``, needs ``chipdemand[parquet]``)."""
    path = check_draws_target(path, force=force)
    suffix = path.suffix.lower()
    frame = draws_frame(res, outputs)

    def write(tmp: str) -> None:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)

    return atomic_write(path, write, force=force)
