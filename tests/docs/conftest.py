"""Running a tutorial chapter as a script, headless, in a folder of its own."""

import runpy
import tempfile
import time

import pytest


@pytest.fixture(scope="session")
def run_chapter(tmp_path_factory):
    """``run_chapter(path)``: the script's globals after running it as ``__main__`` in a new
    temporary folder (its figures and files land there), with ``_seconds`` it took and its
    ``_folder``."""

    def run(path):
        folder = tmp_path_factory.mktemp(path.stem)
        mp = pytest.MonkeyPatch()
        mp.chdir(folder)
        mp.setenv("MPLBACKEND", "Agg")
        mp.setattr(tempfile, "tempdir", str(folder))
        start = time.perf_counter()
        try:
            names = runpy.run_path(str(path), run_name="__main__")
        finally:
            mp.undo()
        names["_seconds"] = time.perf_counter() - start
        names["_folder"] = folder
        return names

    return run
