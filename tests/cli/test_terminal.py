"""The terminal and the process: progress bars, Ctrl-C and SIGTERM, output that cannot be written."""

import os
import signal
import subprocess
import sys
import time

import pytest


def test_progress_only_for_long_runs_and_on_stderr(capsys):
    from chipdemand.cli.terminal import Progress as _Progress

    quick = _Progress(enabled=True)  # a bar appears only once a stage has lasted two seconds
    quick(1_000, 40_000, "drawing")
    quick.close()
    assert capsys.readouterr().err == ""
    slow = _Progress(delay=0, enabled=True)
    slow(1_000_000, 40_000_000, "drawing")
    slow.close()
    captured = capsys.readouterr()
    assert captured.out == "" and "drawing" in captured.err and "40.0M" in captured.err
    piped = _Progress(delay=0)  # stderr is not a terminal here: never a bar in a pipe or a log
    piped(1_000_000, 40_000_000, "drawing")
    piped.close()
    assert capsys.readouterr().err == ""


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


def _cli(*args):
    return [sys.executable, "-m", "chipdemand.cli", *map(str, args)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "line"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_while_a_file_is_written_is_one_line_and_leaves_nothing(tmp_path, sig, code, line):
    """Ctrl-C or SIGTERM while the netCDF file is being written (its temporary file exists): one
    line, no "Exception ignored" traceback, no temporary file left, no run.nc."""
    target = tmp_path / "run.nc"
    p = subprocess.Popen(
        _cli("run", "chatgpt_inference", "--draws", "5e5", "--save", target),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not any(f.name.endswith(".tmp") for f in tmp_path.iterdir()):
        assert p.poll() is None and time.monotonic() < deadline, "the write never started"
        time.sleep(0.01)
    p.send_signal(sig)
    out, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert err == f"error: {line}\n" and out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--json"],
        ["describe", "chatgpt_inference", "--json"],
        ["fit", "--p5", "1", "--p50", "2", "--p95", "5"],
    ],
)
def test_output_that_cannot_be_written_is_one_line_and_exit_1(args):
    with open("/dev/full", "w") as full:
        p = subprocess.run(_cli(*args), stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr == "error: cannot write the output: No space left on device\n"


def test_a_run_whose_json_cannot_be_written_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        p = subprocess.run(
            _cli("run", "chatgpt_inference", "--draws", "500", "--scenario", "base", "--json"),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert p.returncode == 1 and p.stderr == "error: cannot write the output: No space left on device\n"


def test_a_broken_pipe_is_still_quiet():
    p = subprocess.Popen(
        _cli("describe", "chatgpt_inference"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None
    p.stdout.close()  # the reader went away (as `| head -0` does)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0 and err == b""


def test_the_signal_handlers_are_given_back():
    """main() in a process of its own (a notebook, a test) leaves SIGINT and SIGTERM as it found them."""
    from chipdemand.cli import main

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert main(["list", "--json"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("sig", "code", "line"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_during_a_forked_run_stops_its_workers_too(sig, code, line):
    """A large streamed run works in forked processes; Ctrl-C or SIGTERM to the command while they
    work: one line, the exit code of the signal, and no worker left running."""
    p = subprocess.Popen(
        _cli("run", "chatgpt_inference", "--draws", "5e7", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (workers := _children(p.pid)):
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "no worker was forked"
        time.sleep(0.02)
    p.send_signal(sig)
    out, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert err == f"error: {line}\n" and out == ""
    time.sleep(0.2)
    alive = [w for w in workers if os.path.exists(f"/proc/{w}") and _state(w) != "Z"]
    assert alive == []


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
