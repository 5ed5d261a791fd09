"""The commands that read a saved run: `report` and `rerun`; damaged and altered files."""

import json

import pytest
import xarray as xr

import chipdemand as cd
from chipdemand.io import save_results


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


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


@pytest.fixture(scope="module")
def run(chatgpt):
    return cd.simulate(chatgpt, draws=3000, seed=2, method="lhs")


def test_cli_rerun(run, tmp_path, cli):
    good = cd.save_results(run, tmp_path / "good.nc")
    r = cli("rerun", good)
    assert r.code == 0 and "reproduces the saved draws exactly" in r.out
    doc = json.loads(cli("rerun", good, "--json").out)
    assert doc["identical"] is True and doc["differs"] == [] and doc["results"]
    tampered = run.copy(deep=True)
    tampered["capex"][1, 5] = 0.0
    bad = cd.save_results(tampered, tmp_path / "bad.nc")
    r = cli("rerun", bad)
    assert (
        r.code == 2 and r.err.startswith(f"error: {bad}: the re-run does not reproduce") and "capex" in r.err
    )
    r = cli("rerun", tmp_path / "missing.nc")
    assert r.code == 2 and "no such file" in r.err


def test_cli_run_save_then_report_without_resimulating(tmp_path, cli, monkeypatch):
    path = tmp_path / "run.nc"
    assert (
        cli("run", "chatgpt_inference", "--draws", "2000", "--seed", "5", "--save", path, "--json").code == 0
    )
    import chipdemand.engine

    def no_simulation(*args, **kwargs):
        raise AssertionError("a saved run was simulated again")

    monkeypatch.setattr(chipdemand.engine.Plan, "_evaluate_block", no_simulation)
    r = cli("report", path, "--out", tmp_path / "rep")
    assert r.code == 0, r.err
    page = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "saved run run.nc (not re-simulated)" in page and "2,000 draws" in page


def _rewrite(path, target, change):
    """A copy of a saved run with its attributes changed (its draws, and their digest, kept)."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        res = ds.load()
    change(res.attrs)
    res.to_netcdf(target, engine="h5netcdf")
    return target


def test_rerun_refuses_a_study_text_edited_without_its_hash(cli, saved, tmp_path):
    def edit(attrs):
        attrs["study_toml"] = attrs["study_toml"].replace("ci = [", "ci = [ ", 1)

    edited = _rewrite(saved, tmp_path / "edited.nc", edit)
    r = cli("rerun", edited)
    assert one_error_line(r) and r.out == ""
    assert f"error: {edited}: the study text saved with the run does not match its hash" in r.err


def test_rerun_never_follows_extends_from_a_saved_run(cli, saved, tmp_path, monkeypatch):
    import hashlib

    parent = tmp_path / "elsewhere" / "parent.toml"  # never opened: it does not even exist

    def extend(attrs):
        text = attrs["study_toml"].replace("[study]\n", f'[study]\nextends = "{parent}"\n', 1)
        attrs["study_toml"], attrs["study_sha256"] = text, hashlib.sha256(text.encode()).hexdigest()

    crafted = _rewrite(saved, tmp_path / "crafted.nc", extend)
    r = cli("rerun", crafted)
    assert one_error_line(r) and str(parent) not in r.err
    assert f"error: {crafted}: study.extends: the study text saved with the run extends another file" in r.err


def test_a_run_saves_its_study_resolved(tmp_path, cli):
    """An extending study is saved with its parents merged in: its saved text extends nothing."""
    import tomllib

    child = tmp_path / "child.toml"
    child.write_text(
        '[study]\nname = "child"\ntitle = "a child"\nextends = "chatgpt_inference"\n', encoding="utf-8"
    )
    r = cli("run", child, "--draws", "500", "--scenario", "base", "--save", tmp_path / "c.nc")
    assert r.code == 0, r.err
    text = cd.load_results(tmp_path / "c.nc").attrs["study_toml"]
    assert "extends" not in tomllib.loads(text)["study"]
    assert cli("rerun", tmp_path / "c.nc").code == 0


def test_report_of_a_run_without_outputs_is_one_line(cli, small_run, tmp_path):
    inputs = small_run[[v for v in small_run.data_vars if small_run[v].attrs.get("role") != "output"]]
    path = save_results(inputs, tmp_path / "inputs.nc")
    r = cli("report", path, "--out", tmp_path / "rep")
    assert one_error_line(r) and f"error: {path}: holds no outputs to report" in r.err, r.err


def test_report_never_writes_through_a_link_to_a_device(cli, small_run, tmp_path):
    out = tmp_path / "rep"
    cd.report(small_run, out)
    page = out / "index.html"
    page.unlink()
    page.symlink_to("/dev/null")
    r = cli("report", "chatgpt_inference", "--out", out, "--draws", "500", "--force")
    assert one_error_line(r) and "index.html that is not a chipdemand report" in r.err, r.err
    assert page.is_symlink()
