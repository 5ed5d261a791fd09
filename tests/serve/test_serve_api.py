"""The HTTP contract of ``chipdemand serve`` through Starlette's test client: every endpoint and
every refusal (token, Origin, Host, body size, draws, path escapes, save conflicts)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("tomlkit")

from starlette.testclient import TestClient  # noqa: E402

import chipdemand as cd  # noqa: E402
from chipdemand.serve.app import create_app  # noqa: E402
from chipdemand.serve.session import Session, line_of_key, sha256  # noqa: E402

STUDY = "chatgpt_inference_2025"


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, Session, Path]:
    source = Path(next(s["path"] for s in cd.list_studies() if s["name"] == STUDY))
    path = tmp_path / "study" / f"{STUDY}.toml"
    path.parent.mkdir()
    shutil.copy(source, path)
    session = Session.open(str(path), preview_draws=4000, full_draws=4000, max_draws=50_000)
    client = TestClient(create_app(session, ["testserver"], max_body=200_000))
    client.headers["X-Chipdemand-Token"] = session.token
    with client:
        yield client, session, path


def test_get_study(served):
    client, session, path = served
    doc = client.get("/api/study").json()
    assert doc["name"] == STUDY and doc["path"] == str(path)
    assert doc["toml"] == path.read_text() and doc["sha256"] == sha256(path.read_text())


def test_page_and_static_files_ship(served):
    client, _, _ = served
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    for name in ("app.js", "plots.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "http" not in client.get("/static/app.js").text.split("noopener")[0].replace("https?", "")


def test_run_is_the_cli_document(served):
    client, session, path = served
    answer = client.post("/api/run", json={"toml": path.read_text(), "draws": 4000, "scenarios": ["base"]})
    assert answer.status_code == 200
    expected = cd.run(str(path), draws=4000, scenarios=["base"]).to_dict()
    doc = answer.json()
    assert doc["results"] == json.loads(json.dumps(expected["results"]))
    assert {k: doc[k] for k in ("study", "draws", "seed", "method")} == {
        k: expected[k] for k in ("study", "draws", "seed", "method")
    }


def test_a_study_that_does_not_load_is_422_at_its_key_and_line(served):
    client, _, path = served
    text = path.read_text().replace("ci = [6.0e8, 8.0e8]", "cii = [6.0e8, 8.0e8]", 1)
    answer = client.post("/api/run", json={"toml": text, "draws": 4000})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["key"] == "inputs.weekly_active_users.cii"
    assert "unknown key 'cii'" in error["message"] and "did you mean 'ci'" in error["message"]
    assert text.splitlines()[error["line"] - 1].startswith("cii = ")


def test_toml_syntax_error_has_its_line():
    assert line_of_key("[a]\nb = 1\n", "a.c") == 1
    assert line_of_key("[a]\nb = 1\n", None) is None


def test_preview_sends_plot_data(served):
    client, _, path = served
    doc = client.post("/api/preview", json={"toml": path.read_text(), "scenarios": ["base"]}).json()
    assert doc["run"]["draws"] == 4000
    gpus = doc["view"]["outputs"]["gpus"]
    assert gpus["hist"]["log"] is True and len(gpus["hist"]["edges"]) == len(gpus["hist"]["density"]) + 1
    assert doc["view"]["inputs"][0]["words"] == "lognormal, 90% in [6e+08, 8e+08]"


def test_an_event_output_is_marked_for_its_probability():
    """china_supply_demand's demand_exceeds_supply is 0/1 (domain "indicator"): the page shows
    P = its mean, as the terminal does, not a median of 0 or 1."""
    from chipdemand.serve.views import view_of_run

    run = cd.run("china_supply_demand", draws=2000, scenarios=["base"], keep=True)
    outputs = view_of_run(run, "base")["outputs"]
    assert outputs["demand_exceeds_supply"]["event"] is True
    assert outputs["supply"]["event"] is False


def test_draws_are_capped(served):
    client, _, path = served
    answer = client.post("/api/run", json={"toml": path.read_text(), "draws": 10**7})
    assert answer.status_code == 422 and answer.json()["errors"][0]["key"] == "draws"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Chipdemand-Token": ""}, 403),
        ({"X-Chipdemand-Token": "wrong"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Host": "evil.example:80"}, 403),
    ],
)
def test_refusals(served, headers, status):
    client, _, _ = served
    answer = client.get("/api/study", headers=headers)
    assert answer.status_code == status


def test_same_origin_passes_and_the_page_needs_a_good_host(served):
    client, _, _ = served
    assert client.get("/api/study", headers={"Origin": "http://testserver"}).status_code == 200
    assert client.get("/", headers={"Host": "rebound.example"}).status_code == 403


def test_body_size_cap(served):
    client, _, _ = served
    answer = client.post("/api/run", content=b"x" * 300_000, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_save_keeps_comments_and_refuses_a_changed_file(served):
    client, session, path = served
    doc = client.get("/api/study").json()
    text = doc["toml"].replace("ci = [6.0e8, 8.0e8]", "ci = [6.5e8, 8.0e8]", 1)
    saved = client.put("/api/study", json={"toml": text, "base_sha256": doc["sha256"]})
    assert saved.status_code == 200 and path.read_text() == text
    assert "# ChatGPT's inference fleet" in path.read_text()
    path.write_text(text + "\n# changed by another editor\n")
    conflict = client.put("/api/study", json={"toml": text, "base_sha256": doc["sha256"]})
    assert conflict.status_code == 409
    assert conflict.json()["disk"]["toml"].endswith("# changed by another editor\n")
    assert path.read_text().endswith("# changed by another editor\n")  # nothing lost
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


ESCAPES = ["../x.toml", "/tmp/x.toml", "sub/x.toml", "..\\x.toml", "x.txt", ".hidden.toml"]


@pytest.mark.parametrize("name", ESCAPES)
def test_save_as_refuses_paths_outside_the_folder(served, name):
    client, _, path = served
    answer = client.post("/api/save-as", json={"toml": path.read_text(), "name": name})
    assert answer.status_code == 403
    assert not (path.parent.parent / "x.toml").exists()


def test_save_as_refuses_a_symlink_out_of_the_folder(served, tmp_path):
    client, _, path = served
    outside = tmp_path / "outside.toml"
    outside.write_text("# mine\n")
    os.symlink(outside, path.parent / "link.toml")
    for overwrite in (False, True):
        answer = client.post("/api/save-as", json={"toml": "x", "name": "link.toml", "overwrite": overwrite})
        assert answer.status_code == 403
    assert outside.read_text() == "# mine\n"


def test_extends_outside_the_folder_is_refused(served, tmp_path):
    client, _, _ = served
    (tmp_path / "secret.toml").write_text("[study]\nname = 'x'\n")
    text = '[study]\nname = "child"\nextends = "../secret.toml"\n'
    answer = client.post("/api/run", json={"toml": text, "draws": 4000})
    assert answer.status_code == 422 and answer.json()["errors"][0]["key"] == "study.extends"
    assert "outside the served folder" in answer.json()["errors"][0]["message"]


def test_save_as_then_save_writes_the_new_file(served):
    client, session, path = served
    text = path.read_text()
    answer = client.post("/api/save-as", json={"toml": text, "name": "mine.toml"})
    assert answer.status_code == 200
    new = path.parent / "mine.toml"
    assert new.read_text() == text and session.path == new
    again = client.post("/api/save-as", json={"toml": text, "name": "mine.toml"})
    assert again.status_code == 409
    saved = client.put("/api/study", json={"toml": text + "\n", "base_sha256": answer.json()["sha256"]})
    assert saved.status_code == 200 and new.read_text() == text + "\n"


def test_edit_input_keeps_comments(served):
    client, _, path = served
    text = path.read_text()
    answer = client.post(
        "/api/edit-input", json={"toml": text, "input": "weekly_active_users", "ci": [5e8, 9e8], "point": 7e8}
    )
    assert answer.status_code == 200
    new = answer.json()["toml"]
    assert new.count("\n") == text.count("\n") and new.startswith("# ChatGPT's inference fleet")
    assert cd.parse_study(new).inputs["weekly_active_users"].dist.spec["ci"] == [5e8, 9e8]
    family = client.post(
        "/api/edit-input", json={"toml": text, "input": "total_to_active", "dist": "uniform", "ci": [3, 20]}
    ).json()["toml"]
    table = cd.parse_study(family).inputs["total_to_active"].dist
    assert table.name == "uniform" and "mode" not in table.spec
    missing = client.post("/api/edit-input", json={"toml": text, "input": "nope", "ci": [1, 2]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["key"] == "inputs.nope"


def test_compare_and_drivers(served):
    client, _, path = served
    doc = client.post("/api/compare", json={"toml": path.read_text(), "a": "base", "b": "late_2025"}).json()
    row = next(r for r in doc["results"] if r["variable"] == "weekly_active_users" or r["variable"] == "gpus")
    assert {"ratio_median", "ratio_low", "ratio_high", "p_b_greater", "p_b_equal", "p_b_less"} <= set(row)
    drivers = client.post("/api/drivers", json={"toml": path.read_text(), "output": "gpus"}).json()
    assert drivers["output"] == "gpus" and len(drivers["ranking"]) > 5


def test_exports(served):
    client, _, path = served
    csv = client.post("/api/export/csv", json={"toml": path.read_text()})
    assert csv.status_code == 200 and csv.text.startswith("scenario,variable")
    draws = client.post("/api/export/draws", json={"toml": path.read_text(), "scenarios": ["base"]})
    assert draws.status_code == 200 and draws.content[:4] == b"\x89HDF"


def test_a_shipped_study_is_read_only(tmp_path):
    session = Session.open(STUDY, cwd=tmp_path, preview_draws=4000)
    client = TestClient(create_app(session, ["testserver"]))
    client.headers["X-Chipdemand-Token"] = session.token
    with client:
        doc = client.get("/api/study").json()
        assert doc["read_only"] and doc["path"] is None
        put = client.put("/api/study", json={"toml": doc["toml"], "base_sha256": doc["sha256"]})
        assert put.status_code == 403
        assert client.post("/api/save-as", json={"toml": doc["toml"], "name": "copy.toml"}).status_code == 200
        assert (tmp_path / "copy.toml").read_text() == doc["toml"]


def test_no_study_lists_the_shipped_ones_and_starts_a_new_one(tmp_path):
    session = Session.open(None, cwd=tmp_path)
    client = TestClient(create_app(session, ["testserver"]))
    client.headers["X-Chipdemand-Token"] = session.token
    with client:
        assert client.get("/api/study").json()["open"] is False
        names = [s["name"] for s in client.get("/api/studies").json()["studies"]]
        assert STUDY in names
        doc = client.post("/api/open", json={"new": "my_study"}).json()
        assert doc["name"] == "my_study" and "[study]" in doc["toml"]
        assert client.post("/api/open", json={"study": "../etc.toml"}).status_code == 403
