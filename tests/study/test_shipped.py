"""Set-up once per process (issue 18 item 3): a study file is parsed once per version of it and
of the files it extends, and resolving a shipped study's name reads each file's head once."""

import os
import textwrap

import chipdemand as cd
from chipdemand.study import shipped
from chipdemand.study.loader import priors_dir


def _write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_study_is_parsed_once_per_version(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text((priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8"), encoding="utf-8")
    child = _write(
        tmp_path / "child.toml",
        """
        [study]
        name = "child"
        extends = "parent.toml"
        """,
    )
    first = cd.load_study(child)
    assert cd.load_study(str(child)) is first  # the same file: the same Study
    assert cd.load_study("chatgpt_inference") is cd.load_study("chatgpt_inference")

    # the parent changes: the child is read again, with the parent's new value
    text = parent.read_text(encoding="utf-8").replace('title = "', 'title = "Edited: ', 1)
    parent.write_text(text, encoding="utf-8")
    os.utime(parent, ns=(1, 1))  # a new mtime even on a coarse clock
    second = cd.load_study(child)
    assert second is not first and second.title.startswith("Edited: ")

    # the child changes (same size and mtime kept): its text hash tells
    stat = child.stat()
    child.write_text(child.read_text(encoding="utf-8").replace('"child"', '"chi1d"'), encoding="utf-8")
    os.utime(child, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cd.load_study(child).name == "chi1d"


def test_a_shipped_name_reads_the_heads_once(monkeypatch):
    cd.load_study("chatgpt_inference")
    calls = []
    original = shipped.read_toml
    monkeypatch.setattr(shipped, "read_toml", lambda text, path: calls.append(path) or original(text, path))
    assert cd.load_study("chatgpt_inference").name == "chatgpt_inference"
    assert calls == []


def test_a_change_of_the_model_registry_parses_again():
    """A cached study was built from the registry as it was: a plugin installed or a model
    registered since (which may clash with the study's model) makes it parse again."""
    from chipdemand import models

    first = cd.load_study("ai_server_market")
    assert cd.load_study("ai_server_market") is first
    models.reset_plugins()
    assert cd.load_study("ai_server_market") is not first


def test_a_study_keeps_the_path_it_was_loaded_by(tmp_path, monkeypatch):
    """The same file by a relative and by an absolute path: each Study names it as it was given
    (the cache once returned the relative one for the absolute path; found by a test's order)."""
    (tmp_path / "s.toml").write_text((priors_dir() / "ai_server_market.toml").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    assert cd.load_study("s.toml").path == "s.toml"
    assert cd.load_study(str(tmp_path / "s.toml")).path == str(tmp_path / "s.toml")
