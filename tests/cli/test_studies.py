"""The commands about studies: `list`, `describe`, `show`, `new`."""

import json
import os


def test_list_json(cli):
    r = cli("list", "--json")
    assert r.code == 0
    studies = {s["name"]: s for s in json.loads(r.out)["studies"]}
    assert {"name", "title", "path"} <= set(studies["chatgpt_inference"])
    assert studies["chatgpt_inference"]["path"].endswith("chatgpt_inference.toml")


def test_new_replaces_only_a_regular_file(cli, tmp_path):
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    r = cli("new", "s", "--out", fifo, "--force")
    expected = f"error: {fifo}: is a FIFO (named pipe), not a regular file: it is never replaced\n"
    assert r.code == 2 and r.err == expected
    real = tmp_path / "real.toml"
    real.write_text("old")
    (tmp_path / "link.toml").symlink_to(real)
    assert cli("new", "s", "--out", tmp_path / "link.toml", "--force").code == 0
    assert (tmp_path / "link.toml").is_symlink() and "[study]" in real.read_text()
