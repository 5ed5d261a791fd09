"""The terminal and the process: progress bars, Ctrl-C and SIGTERM, output that cannot be written."""

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
