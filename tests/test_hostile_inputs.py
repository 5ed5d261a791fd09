"""Trust (issue 10): every path checked before work starts, nothing the user saved is lost, every
error one line, every flag checked. One test per path of each class."""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import xarray as xr

import chipdemand as cd
from chipdemand.errors import StudyError
from chipdemand.io import atomic_write, check_target, save_results


@pytest.fixture(scope="module")
def small_run():
    return cd.simulate("chatgpt_inference", draws=2000, seed=1, scenarios=["base"])


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


# ----------------------------------------------------------------------------- study files
@pytest.mark.parametrize("unit", ["(", "s/", "**", "1/0", "meter^^2", "zorkmid"])
def test_a_unit_pint_cannot_read_is_one_clear_line(cli, study_doc, write_study, unit):
    study_doc["inputs"]["seconds_per_char"]["unit"] = unit
    r = cli("run", write_study(study_doc), "--draws", "100")
    assert one_error_line(r), r.err
    assert "inputs.seconds_per_char.unit: unknown unit" in r.err
    assert "Error" not in r.err  # no exception names (AssertionError, TokenError...) in the message


def test_a_byte_order_mark_is_accepted(cli, tmp_path):
    from chipdemand.study.shipped import priors_dir

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (priors_dir() / "chatgpt_inference.toml").read_bytes())
    r = cli("run", path, "--draws", "500", "--scenario", "base", "--json")
    assert r.code == 0, r.err
    plain = cli("run", "chatgpt_inference", "--draws", "500", "--scenario", "base", "--json")
    assert json.loads(r.out)["results"] == json.loads(plain.out)["results"]  # the same study


def test_a_study_path_that_is_a_folder(cli, tmp_path):
    folder = tmp_path / "study.toml"
    folder.mkdir()
    r = cli("run", folder)
    assert one_error_line(r) and "is a folder, not a study file" in r.err


def test_a_stream_naming_no_input(cli, study_doc, write_study):
    study_doc["inputs"]["memory_bandwidth"]["stream"] = "gpu_memry"
    r = cli("run", write_study(study_doc), "--draws", "100")
    assert one_error_line(r)
    assert "inputs.memory_bandwidth.stream: 'gpu_memry' is not an input" in r.err and "gpu_memory" in r.err


def test_numpy_warnings_never_precede_the_error_line(cli_subprocess, study_doc, write_study):
    study_doc["inputs"]["utilization"] = {"dist": "point", "value": 0.0, "unit": "1", "source": "a zero"}
    r = cli_subprocess("run", write_study(study_doc), "--draws", "200")
    assert r.code == 2 and r.err.startswith("error: ") and "RuntimeWarning" not in r.err, r.err


# ----------------------------------------------------------------------------- paths first
def test_save_targets_are_checked_before_any_simulation(cli, tmp_path, monkeypatch):
    import chipdemand.engine

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before the target was checked")

    monkeypatch.setattr(chipdemand.engine.Plan, "_evaluate_block", no_simulation)
    (tmp_path / "exists.nc").write_bytes(b"mine")
    (tmp_path / "folder.nc").mkdir()
    for target, text in [
        (tmp_path / "no" / "such" / "run.nc", "no such folder"),
        (tmp_path / "folder.nc", "is a folder; give a file name"),
        (tmp_path / "exists.nc", "already exists (use --force to overwrite)"),
    ]:
        r = cli("run", "chatgpt_inference", "--draws", "1000", "--save", target)
        assert one_error_line(r) and text in r.err, r.err
    assert (tmp_path / "exists.nc").read_bytes() == b"mine"


def test_a_save_that_cannot_fit_on_the_disk_is_refused_up_front(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(StudyError, match="needs about .* GiB and the disk has"):
        cd.run("chatgpt_inference", 10_000, save=tmp_path / "run.nc")
    assert list(tmp_path.iterdir()) == []


def test_draws_that_cannot_fit_in_memory_are_refused_with_the_size(monkeypatch):
    import chipdemand.engine

    monkeypatch.setattr(chipdemand.engine, "memory_available", lambda: 50 * 2**20)
    # chatgpt_inference with its power and energy inputs and outputs (issue 12)
    with pytest.raises(StudyError, match=r"need 5.29 GiB in memory and 0.0488 GiB is available"):
        cd.simulate("chatgpt_inference", draws=10_000_000)
    with pytest.raises(StudyError, match="leave out --save"):
        cd.run("chatgpt_inference", 10_000_000, keep=True)
    # not kept: the same run is summarized block by block instead
    plan = chipdemand.engine.make_plan("chatgpt_inference", 10_000_000)
    assert plan.nbytes() > 50 * 2**20


def test_the_report_folder_is_checked_first(cli, tmp_path, small_run):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    r = cli("report", "chatgpt_inference", "--out", other, "--draws", "1000")
    assert one_error_line(r) and "holds other files (notes.txt)" in r.err
    foreign = tmp_path / "site"
    foreign.mkdir()
    (foreign / "index.html").write_text("<html>my web site</html>")
    r = cli("report", "chatgpt_inference", "--out", foreign, "--draws", "1000")
    assert one_error_line(r) and "not a chipdemand report" in r.err
    out = tmp_path / "rep"
    cd.report(small_run, out)
    r = cli("report", "chatgpt_inference", "--out", out, "--draws", "1000")
    assert one_error_line(r) and "holds a report already (use --force to replace it)" in r.err
    assert cli("report", "chatgpt_inference", "--out", out, "--draws", "1000", "--force").code == 0


# ----------------------------------------------------------------------------- nothing lost
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


def test_a_seed_too_large_to_store_is_refused(cli):
    r = cli("run", "chatgpt_inference", "--seed", str(2**64))
    assert one_error_line(r) and "below 2**63" in r.err


@pytest.mark.slow
def test_ctrl_c_leaves_no_half_written_file_and_exits_130(tmp_path):
    target = tmp_path / "run.nc"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chipdemand.cli",
            "run",
            "chatgpt_inference",
            "--draws",
            "3e6",
            "--save",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in err
    assert not target.exists() and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- damaged files
@pytest.fixture
def saved(tmp_path, small_run):
    return save_results(small_run, tmp_path / "run.nc")


def test_a_zeroed_header_is_one_error_line(cli, saved):
    data = bytearray(saved.read_bytes())
    data[:512] = bytes(512)
    saved.write_bytes(bytes(data))
    for args in (["report", saved, "--out", saved.parent / "r"], ["rerun", saved]):
        r = cli(*args)
        assert one_error_line(r) and "not a chipdemand results file, or a damaged one" in r.err, r.err


def test_a_truncated_file_is_one_error_line(cli, saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    r = cli("rerun", saved)
    assert one_error_line(r) and "damaged" in r.err


def test_altered_draws_are_found_by_report_and_by_rerun(cli, saved, tmp_path):
    with xr.open_dataset(saved, engine="h5netcdf") as ds:
        altered = ds.load()
    altered["chips"][0, 7] = altered["chips"][0, 7] * 2  # the digest saved with it no longer holds
    tampered = tmp_path / "tampered.nc"
    altered.to_netcdf(tampered, engine="h5netcdf")
    r = cli("report", tampered, "--out", tmp_path / "r")
    assert one_error_line(r) and "do not match the digest saved with them" in r.err
    r = cli("rerun", tampered)
    assert one_error_line(r) and "does not reproduce the saved draws of chips" in r.err


# ----------------------------------------------------------------------------- flags
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["report", "RUN", "--out", "DIR", "--draws", "1000"], "--draws: does not apply to a saved run"),
        (["report", "RUN", "--out", "DIR", "--seed", "3"], "--seed: does not apply to a saved run"),
        (["sensitivity", "chatgpt_inference", "--method", "tornado", "--draws", "100"], "does not apply"),
        (["sensitivity", "chatgpt_inference", "--method", "rank", "--ci", "0.8"], "does not apply"),
        (["sensitivity", "chatgpt_inference", "--scale", "log"], "does not apply to --method rank"),
        (["run", "chatgpt_inference", "--rel-tol", "0.01"], "applies to --draws auto only"),
        (["run", "chatgpt_inference", "--output", "chips"], "give --save-draws FILE"),
        (["run", "chatgpt_inference", "--threads", "0"], "at least 1"),
        (["run", "chatgpt_inference", "--threads", "-2"], "at least 1"),
    ],
)
def test_flags_that_do_not_apply_are_refused(cli, saved, tmp_path, args, text):
    args = [str(saved) if a == "RUN" else str(tmp_path / "d") if a == "DIR" else a for a in args]
    r = cli(*args)
    assert one_error_line(r) and text in r.err, r.err


def test_every_flag_of_every_command_says_what_it_does():
    from chipdemand.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        assert command.description, name
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and len(action.help) > 10, (name, action.option_strings)
                assert "``" not in action.help and ":func:" not in action.help, (name, action.option_strings)


def test_readme_lists_every_flag():
    from chipdemand.cli import build_parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [
        f"{name} {flag}"
        for name, command in sub.choices.items()
        for action in command._actions
        for flag in action.option_strings
        if flag.startswith("--")
        and flag != "--help"
        and f"chipdemand {name}" in readme
        and flag not in readme
    ]
    commands = [name for name in sub.choices if f"chipdemand {name}" not in readme]
    assert not missing and not commands, (missing, commands)


def test_a_huge_run_is_bounded_and_lazy():
    """--draws up to 2**40: no list of every block is made (the plan's blocks are a range)."""
    from chipdemand.engine import make_plan

    plan = make_plan("chatgpt_inference", 2**40)
    assert isinstance(plan.blocks, range) and len(plan.blocks) == 2**24
    chunks = plan.chunks(10**9)
    assert next(chunks) == (0, 10**9)
    with pytest.raises(StudyError, match="more than the engine runs"):
        make_plan("chatgpt_inference", 2**40 + 1)


def test_nothing_but_the_answer_in_a_pipe(cli):
    r = cli("run", "chatgpt_inference", "--draws", "2000", "--scenario", "base")
    assert r.code == 0 and r.err == ""
