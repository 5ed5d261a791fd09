"""Saved runs: a netCDF round trip with provenance, atomic writes, no silent overwrite, re-runs."""

import errno
import hashlib
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import chipdemand as cd
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
