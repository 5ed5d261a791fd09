"""The commands that read a saved run: `report` and `rerun`; damaged and altered files."""

import json

import pytest
import xarray as xr

import chipdemand as cd


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
