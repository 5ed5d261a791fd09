"""Saved runs: a netCDF round trip with provenance, atomic writes, no silent overwrite, re-runs."""

import errno
import hashlib
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import chipdemand as cd
from chipdemand import io
from chipdemand.api import rerun
from chipdemand.errors import StudyError
from chipdemand.io import atomic_write, check_target, draws_digest, save_results


@pytest.fixture(scope="module")
def run(chatgpt):
    return cd.simulate(chatgpt, draws=3000, seed=2, method="lhs")


def test_round_trip_is_identical(run, tmp_path):
    path = cd.save_results(run, tmp_path / "run.nc")
    back = cd.load_results(path)
    assert back.attrs.pop("draws_sha256") == draws_digest(run)  # the one attribute a file adds
    assert back.identical(run)  # values, dims, coords, variable and Dataset attrs
    assert back["chips"].attrs["reported"] == run["chips"].attrs["reported"]
    assert back["daily_active_users"].attrs["dist"] == run["daily_active_users"].attrs["dist"]


def test_saved_file_carries_its_provenance(run, chatgpt, tmp_path):
    path = cd.save_results(run, tmp_path / "run.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:  # read by plain xarray, no chipdemand
        a = dict(ds.attrs)
        assert dict(ds.sizes) == {"scenario": len(chatgpt.scenario_names), "draw": 3000}
    assert (a["seed"], a["draws"], a["method"], a["study"]) == (2, 3000, "lhs", "chatgpt_inference")
    assert a["chipdemand_version"] == cd.version()
    assert a["study_toml"] == chatgpt.text
    assert a["study_sha256"] == hashlib.sha256(a["study_toml"].encode()).hexdigest()


def test_refuses_to_overwrite_unless_forced(run, tmp_path):
    path = tmp_path / "run.nc"
    cd.save_results(run, path)
    before = path.read_bytes()
    other = cd.simulate("chatgpt_inference", draws=1000, seed=3, scenarios=["base"])
    with pytest.raises(StudyError, match="already exists"):
        cd.save_results(other, path)
    assert path.read_bytes() == before
    cd.save_results(other, path, force=True)
    assert cd.load_results(path).sizes["draw"] == 1000


def test_a_failed_write_leaves_no_file(run, tmp_path, monkeypatch):
    def half_then_fail(self, target, *args, **kwargs):
        with open(target, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", half_then_fail)
    with pytest.raises(StudyError, match="cannot write .disk full"):
        cd.save_results(run, tmp_path / "run.nc")
    assert list(tmp_path.iterdir()) == []  # neither the target nor the temporary file


def test_a_failed_overwrite_keeps_the_old_file(run, tmp_path, monkeypatch):
    path = cd.save_results(run, tmp_path / "run.nc")
    before = path.read_bytes()
    monkeypatch.setattr(xr.Dataset, "to_netcdf", lambda *a, **k: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(StudyError, match="cannot write"):
        cd.save_results(run, path, force=True)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["run.nc"]


@pytest.mark.parametrize(
    ("content", "text"), [(None, "no such file"), (b"not a netcdf file", "not a chipdemand results file")]
)
def test_loading_something_else_is_a_user_error(tmp_path, content, text):
    path = tmp_path / "x.nc"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(StudyError, match=text):
        cd.load_results(path)


def test_loading_a_netcdf_that_is_not_a_run(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"t": ("x", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(StudyError, match="not a chipdemand results file"):
        cd.load_results(path)


# ----------------------------------------------------------------------------- re-runs
def test_rerun_reproduces_a_saved_run(run, tmp_path):
    path = cd.save_results(run, tmp_path / "run.nc")
    result = rerun(path)
    assert result.identical and result.differs == []
    assert result.table.equals(cd.summarize(run))


def test_rerun_uses_the_saved_study_text_not_the_file(study_doc, write_study, tmp_path):
    study_path = write_study(study_doc)
    res = cd.simulate(cd.load_study(study_path), draws=2000, seed=4, scenarios=["base", "heavy_use"])
    saved = cd.save_results(res, tmp_path / "run.nc")
    study_path.write_text("this is no longer a study", encoding="utf-8")  # edited since
    same, table = rerun(saved)
    assert same and set(table["scenario"]) == {"base", "heavy_use"}


def test_rerun_detects_a_changed_draw(run, tmp_path):
    tampered = run.copy(deep=True)
    tampered["chips"][0, 17] = tampered["chips"][0, 17] * 1.000001
    path = cd.save_results(tampered, tmp_path / "run.nc")
    result = rerun(path)
    assert not result.identical and result.differs == ["chips"]


# ----------------------------------------------------------------------------- nothing lost
def test_a_save_that_cannot_fit_on_the_disk_is_refused_up_front(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(StudyError, match="needs about .* GiB and the disk has"):
        cd.run("chatgpt_inference", 10_000, save=tmp_path / "run.nc")
    assert list(tmp_path.iterdir()) == []


def test_a_save_is_exclusive_when_a_file_appears_meanwhile(tmp_path):
    target = tmp_path / "run.nc"
    check_target(target)  # nothing there yet
    target.write_bytes(b"another run's file")  # another process saved first

    with pytest.raises(StudyError, match="already exists"):
        atomic_write(target, lambda tmp: Path(tmp).write_bytes(b"mine"))
    assert target.read_bytes() == b"another run's file" and [p.name for p in tmp_path.iterdir()] == ["run.nc"]


def test_two_concurrent_saves_never_both_succeed(tmp_path, small_run):
    target = tmp_path / "run.nc"
    start = threading.Barrier(2)
    outcomes = []

    def save():
        start.wait()
        try:
            save_results(small_run, target)
            outcomes.append("saved")
        except StudyError as err:
            outcomes.append(str(err))

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o == "saved" for o in outcomes) == [False, True], outcomes
    assert cd.load_results(target).sizes["draw"] == 2000


def test_saved_files_get_the_users_umask(tmp_path, small_run):
    old = os.umask(0o027)
    try:
        path = save_results(small_run, tmp_path / "run.nc")
        csv = cd.run("chatgpt_inference", 500, scenarios=["base"]).to_csv(tmp_path / "t.csv")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640 and csv.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("errno_", "text"),
    [
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENOSPC, "no space left"),
    ],
)
def test_write_failures_are_one_line(tmp_path, monkeypatch, small_run, errno_, text):
    import chipdemand.io

    def fail(*args, **kwargs):
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr(chipdemand.io.tempfile, "mkstemp", fail)
    with pytest.raises(StudyError, match=text):
        save_results(small_run, tmp_path / "run.nc")


# ----------------------------------------------------------------------------- what --force replaces
def test_is_saved_run_reads_the_suffix_only():
    assert io.is_saved_run("run.nc") and io.is_saved_run(Path("a/RUN.NC4")) and io.is_saved_run("x.h5")
    assert not io.is_saved_run("study.toml") and not io.is_saved_run(None) and not io.is_saved_run(123)
    assert not io.is_saved_run(xr.Dataset())


def test_json_value_gives_what_json_holds():
    values = [np.float64("nan"), float("inf"), -np.inf, pd.NA, None, np.int64(3), np.bool_(True), 2.5, "x"]
    assert [io.json_value(v) for v in values] == [None, None, None, None, None, 3, True, 2.5, "x"]
    assert type(io.json_value(np.int64(3))) is int


@pytest.mark.parametrize("force", [False, True])
def test_only_a_regular_file_is_ever_replaced(tmp_path, force):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(StudyError, match=r"pipe.csv: is a FIFO \(named pipe\), not a regular file"):
        check_target(fifo, force=force)
    with pytest.raises(StudyError, match="is a character device, not a regular file"):
        check_target("/dev/null", force=force)
    (tmp_path / "folder.nc").mkdir()
    with pytest.raises(StudyError, match="is a folder; give a file name"):
        check_target(tmp_path / "folder.nc", force=force)
    for name, target in [("dev.nc", "/dev/null"), ("dir.nc", tmp_path / "folder.nc"), ("fifo.nc", fifo)]:
        (tmp_path / name).symlink_to(target)
        with pytest.raises(StudyError, match=f"is a symbolic link to {target}, a .*: only a regular file"):
            check_target(tmp_path / name, force=force)
        with pytest.raises(StudyError, match="symbolic link"):  # checked again where it is written
            atomic_write(tmp_path / name, lambda tmp: Path(tmp).write_text("x"), force=force)
    (tmp_path / "dangling.nc").symlink_to(tmp_path / "nothing.nc")
    with pytest.raises(StudyError, match="which does not exist"):
        check_target(tmp_path / "dangling.nc", force=force)
    assert not (tmp_path / "nothing.nc").exists()


def test_a_link_to_a_regular_file_is_written_through_with_force(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "results.csv"
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    with pytest.raises(StudyError, match="already exists"):
        atomic_write(link, lambda tmp: Path(tmp).write_text("new"))
    assert atomic_write(link, lambda tmp: Path(tmp).write_text("new"), force=True) == link
    assert link.is_symlink() and real.read_text() == "new"  # the target replaced, the link kept
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["results.csv"]


def test_a_saved_run_needs_a_netcdf_name(tmp_path, small_run):
    with pytest.raises(StudyError, match="give a name ending in .nc, .nc4 or .h5, got 'run.csv'"):
        save_results(small_run, tmp_path / "run.csv")
    assert list(tmp_path.iterdir()) == []


def test_draw_targets_are_checked_whole(tmp_path, monkeypatch):
    with pytest.raises(StudyError, match="expected a .csv or .parquet file name, got 'x.xlsx'"):
        io.check_draws_target(tmp_path / "x.xlsx")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # the parquet extra is not installed
    with pytest.raises(StudyError, match=r"Parquet needs pyarrow: pip install 'chipdemand\[parquet\]'"):
        io.check_draws_target(tmp_path / "x.parquet")


def test_a_signal_during_a_write_stops_it_before_the_rename(tmp_path, monkeypatch):
    """What the command line's handler does while a file is written: the writer finishes, the
    rename never happens, the temporary file goes (the subprocess tests send real signals)."""
    monkeypatch.setitem(io._WRITES, "interrupted", 0)

    def write(tmp):
        assert io.writing()
        Path(tmp).write_text("half")
        io.interrupt_write()

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "t.csv", write)
    assert list(tmp_path.iterdir()) == [] and not io.writing()
