"""The commands about studies: `list`, `describe`, `show`, `new`."""

import json


def test_list_json(cli):
    r = cli("list", "--json")
    assert r.code == 0
    studies = {s["name"]: s for s in json.loads(r.out)["studies"]}
    assert {"name", "title", "path"} <= set(studies["chatgpt_inference"])
    assert studies["chatgpt_inference"]["path"].endswith("chatgpt_inference.toml")
