"""The README shows what the program prints: every ``console`` block whose first line is
``$ chipdemand ...`` is run (at the block's own seed and draws) and its output compared line by
line, numbers included. A line ``...`` elides any number of lines; the lines between elisions
must appear in the output, in order and consecutively. A block about ``my_study.toml`` runs on
the shipped chatgpt_inference study changed as the README's text around it says (``STUDIES``).
The whole file takes about 30 s (``python -m pytest tests/docs/test_readme.py``)."""

import re
import shlex
from pathlib import Path

import pytest

from chipdemand.cli import main
from chipdemand.study.loader import priors_dir

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: what ``my_study.toml`` is in each block that runs it (a change of chatgpt_inference.toml), keyed
#: by the comment or the first words of the block's expected output
STUDIES = {
    "lower bound": ("ci = [1.0e7, 4.5e7]", "ci = [4.5e7, 1.0e7]"),
    "no family that stays positive": (
        'questions_per_user = { dist = "lognormal", ci = [10, 40] }',
        "questions_per_user = { quantiles = [[0.1, 5], [0.5, 10], [0.9, 30], [0.99, 31]] }",
    ),
    "must increase": (
        'dist = "lognormal"\nci = [1.0e7, 4.5e7]',
        "quantiles = [[0.05, 1.0e7], [0.5, 2.0e7], [0.95, 1.5e7]]",
    ),
}


def _commands() -> list[tuple[int, str, list[str]]]:
    """(line, command, expected lines) of every ``$ chipdemand`` command in a console block."""
    found = []
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console" and lines[i + 1].startswith("$ chipdemand"):
            j = i + 1
            while lines[j].strip() != "```":
                if lines[j].startswith("$ "):
                    found.append((j + 1, lines[j][2:], []))
                else:
                    found[-1][2].append(lines[j].rstrip())
                j += 1
            i = j
        i += 1
    return found


COMMANDS = _commands()


def _segments(expected: list[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for line in expected:
        if line == "...":
            segments.append([])
        else:
            segments[-1].append(line)
    return [s for s in segments if s]


def _shows(output: list[str], expected: list[str]) -> bool:
    at = 0
    for segment in _segments(expected):
        n = len(segment)
        while at + n <= len(output) and output[at : at + n] != segment:
            at += 1
        if at + n > len(output):
            return False
        at += n
    return True


def test_the_readme_has_console_blocks():
    assert len(COMMANDS) >= 12 and all(expected for _, _, expected in COMMANDS)


def test_the_matcher_reads_elisions():
    out = ["a", "b", "c", "d"]
    assert _shows(out, ["a", "...", "c", "d"]) and _shows(out, ["b", "c", "..."])
    assert not _shows(out, ["a", "c"]) and not _shows(out, ["c", "...", "a"])


@pytest.mark.parametrize(("line", "command", "expected"), COMMANDS, ids=[f"README:{c[0]}" for c in COMMANDS])
def test_a_console_block_shows_what_the_program_prints(
    line, command, expected, tmp_path, monkeypatch, capsys
):
    args = shlex.split(command, comments=True)[1:]
    if "my_study.toml" in args:
        text = (priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8")
        key = next(k for k in STUDIES if k in command or any(k in e for e in expected))
        old, new = STUDIES[key]
        assert old in text
        (tmp_path / "my_study.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
        monkeypatch.chdir(tmp_path)
    else:
        monkeypatch.chdir(ROOT)
    main(args)
    captured = capsys.readouterr()
    output = [x.rstrip() for x in (captured.out + captured.err).splitlines()]
    shown = "\n".join(output)
    assert _shows(output, expected), f"README.md line {line}: `{command}` prints\n{shown}"


def test_every_fit_percentage_in_the_text_is_the_programs():
    """`fit`'s prose quotes its numbers as printed (36.25%, not 36%)."""
    text = README.read_text(encoding="utf-8")
    assert not re.search(r"is 36% off", text)
