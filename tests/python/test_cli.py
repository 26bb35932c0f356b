"""The ``acquire-zarr`` command line, run as a subprocess (the console script
in the venv and ``python -m acquire_zarr``): convert (.npy, TIFF/OME-TIFF,
Zarr/OME-Zarr), info, demo, bench; --help on each; errors as one line with a
non-zero exit and nothing left behind; Ctrl-C mid-convert leaves a readable,
truthful store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from conftest import random_data, read_tensorstore, read_zarr
from pyramid_reference import multiscale_doc, validate_ngff_image
from test_convert import check_truthful_prefix

tifffile = pytest.importorskip("tifffile")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("acquire-zarr")


def run(*args, via="script", env=None, cwd=None, timeout=120):
    command = [str(SCRIPT)] if via == "script" else [sys.executable, "-m", "acquire_zarr"]
    return subprocess.run(command + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd)


def assert_one_line_error(result, needle, status=1):
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert needle in lines[0], lines[0]


def test_the_console_script_is_installed():
    assert SCRIPT.is_file(), f"{SCRIPT} missing: make install"


@pytest.mark.parametrize("via", ["script", "module"])
def test_convert_npy_with_a_pyramid(tmp_path, via):
    data = random_data((40, 70, 90), "uint16", seed=1)
    np.save(tmp_path / "vol.npy", data)
    dst = tmp_path / "vol.ome.zarr"
    result = run("convert", tmp_path / "vol.npy", dst, "--scale", "2,0.5,0.5", "--units",
                 "micrometer", "--name", "vol", "--chunks", "16,32,32", via=via)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {dst}: OME-NGFF 0.5 image, 40x70x90 uint16")
    assert "levels" in result.stdout
    ms = multiscale_doc(dst, "", "v3")
    assert ms["name"] == "vol" and ms["type"] == "local_mean"
    assert len(ms["datasets"]) == 3
    assert [a.get("unit") for a in ms["axes"]] == ["micrometer"] * 3
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [2.0, 0.5, 0.5]
    for reader in (read_zarr, read_tensorstore):
        np.testing.assert_array_equal(reader(dst, "0", "v3"), data)
    validate_ngff_image(dst, "", "v3")
    meta = json.loads((dst / "0" / "zarr.json").read_text())
    blosc = meta["codecs"][0]["configuration"]["codecs"][1]
    assert blosc["name"] == "blosc" and blosc["configuration"]["cname"] == "zstd"


def test_convert_options(tmp_path):
    data = random_data((3, 50, 60), "int16", seed=2)
    np.save(tmp_path / "c.npy", data)
    dst = tmp_path / "c.zarr"
    result = run("convert", tmp_path / "c.npy", dst, "--names", "c,y,x", "--no-pyramid",
                 "--codec", "blosc-lz4", "--level", "3", "--shuffle", "2", "--zarr-version", "2",
                 "--attributes", '{"lab": "B"}', "--threads", "1", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert (dst / ".zgroup").is_file() and not (dst / "1").exists()
    zarray = json.loads((dst / "0" / ".zarray").read_text())
    assert zarray["compressor"]["cname"] == "lz4" and zarray["compressor"]["clevel"] == 3
    assert zarray["compressor"]["shuffle"] == 2
    assert json.loads((dst / ".zattrs").read_text())["lab"] == "B"
    np.testing.assert_array_equal(read_zarr(dst, "0", "v2"), data)
    validate_ngff_image(dst, "", "v2")
    # --overwrite replaces; --shards none; --progress draws a bar on stderr
    result = run("convert", tmp_path / "c.npy", dst, "--overwrite", "--shards", "none",
                 "--max-levels", "1", "--chunks", "1,16,16", "--method", "max", "--progress")
    assert result.returncode == 0, result.stderr
    assert "slab" in result.stderr and "B/s" in result.stderr
    assert len(multiscale_doc(dst, "", "v3")["datasets"]) == 2
    meta = json.loads((dst / "0" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [1, 16, 16]


def test_convert_dry_run_writes_nothing(tmp_path):
    np.save(tmp_path / "d.npy", np.zeros((64, 128, 96), np.uint16))
    result = run("convert", tmp_path / "d.npy", tmp_path / "d.zarr", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].endswith("d.npy (.npy, memory-mapped)")
    assert lines[1].startswith(f"would write {tmp_path / 'd.zarr'}: OME-NGFF 0.5 image, "
                               f"64x128x96 uint16 (z,y,x), chunks 32x32x32")
    assert "3 levels; read in 2 slabs; memory: the engine's" in lines[1]
    assert sorted(os.listdir(tmp_path)) == ["d.npy"]


def test_convert_ome_tiff_round_trip(tmp_path):
    """An OME-TIFF ZCYX (ImageJ's order) is stored c, z, y, x with its
    physical sizes as scale and units."""
    data = random_data((6, 2, 40, 50), "uint16", seed=3)
    src = tmp_path / "stack.ome.tif"
    tifffile.imwrite(src, data, ome=True, metadata={
        "axes": "ZCYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.5, "PhysicalSizeZ": 2.0})
    dst = tmp_path / "stack.ome.zarr"
    result = run("convert", src, dst, "--chunks", "1,4,16,16")
    assert result.returncode == 0, result.stderr
    stored = data.transpose(1, 0, 2, 3)
    for reader in (read_zarr, read_tensorstore):
        np.testing.assert_array_equal(reader(dst, "0", "v3"), stored)
    ms = multiscale_doc(dst, "", "v3")
    assert [a["name"] for a in ms["axes"]] == ["c", "z", "y", "x"]
    assert [a.get("unit") for a in ms["axes"]] == [None, "micrometer", "micrometer", "micrometer"]
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [1.0, 2.0, 0.5, 0.5]
    assert len(ms["datasets"]) > 1
    validate_ngff_image(dst, "", "v3")


def test_convert_imagej_tiff_and_series(tmp_path):
    """An ImageJ hyperstack: resolution and spacing are the scale; --series
    picks a series, and one that is not there is an error."""
    data = random_data((4, 2, 30, 40), "uint16", seed=9)
    src = tmp_path / "ij.tif"
    tifffile.imwrite(src, data, imagej=True, resolution=(4.0, 4.0),
                     metadata={"axes": "ZCYX", "spacing": 1.5, "unit": "um"})
    dst = tmp_path / "ij.zarr"
    result = run("convert", src, dst, "--no-pyramid", "--series", "0")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(read_zarr(dst, "0", "v3"), data.transpose(1, 0, 2, 3))
    ms = multiscale_doc(dst, "", "v3")
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [1.0, 1.5, 0.25, 0.25]
    assert [a.get("unit") for a in ms["axes"]] == [None, "micrometer", "micrometer", "micrometer"]
    result = run("convert", src, tmp_path / "none.zarr", "--series", "2")
    assert_one_line_error(result, "has 1 series; there is no series 2")
    assert not (tmp_path / "none.zarr").exists()


def test_convert_plain_tiff_stack(tmp_path):
    """A compressed, tiled multi-page TIFF: its pages are z."""
    data = random_data((9, 64, 48), "uint8", seed=4)
    src = tmp_path / "pages.tif"
    tifffile.imwrite(src, data, compression="zlib", tile=(16, 16))
    dst = tmp_path / "pages.zarr"
    result = run("convert", src, dst, "--no-pyramid")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(read_zarr(dst, "0", "v3"), data)
    assert [a["name"] for a in multiscale_doc(dst, "", "v3")["axes"]] == ["z", "y", "x"]


def test_convert_zarr_sources(tmp_path):
    data = random_data((2, 30, 40), "float32", seed=5)
    z = zarr.create_array(str(tmp_path / "plain.zarr"), shape=data.shape, chunks=(1, 16, 16),
                          dtype=data.dtype, dimension_names=["t", "y", "x"])
    z[...] = data
    result = run("convert", tmp_path / "plain.zarr", tmp_path / "a.zarr", "--no-pyramid")
    assert result.returncode == 0, result.stderr
    assert [a.get("type") for a in multiscale_doc(tmp_path / "a.zarr", "", "v3")["axes"]] == [
        "time", "space", "space"]
    # an OME-Zarr image in, v2 out
    result = run("convert", tmp_path / "a.zarr", tmp_path / "b.zarr", "--zarr-version", "2")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(read_zarr(tmp_path / "b.zarr", "0", "v2"), data)


@pytest.mark.parametrize("args,needle,status", [
    (["convert", "{tmp}/missing.npy", "{tmp}/out.zarr"], "missing.npy' does not exist", 1),
    (["convert", "{tmp}/half.npy", "{tmp}/out.zarr"], "float16", 1),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--chunks", "4,4"], "chunks=(4, 4)", 1),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--chunks", "big"], "--chunks 'big'", 2),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--codec", "gzip"], "invalid choice: 'gzip'", 2),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--names", "zyxw"], "4 entries", 1),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--scale", "1,x"], "--scale '1,x'", 2),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--attributes", "[1]"], "JSON object", 2),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--zarr-version", "2", "--shards", "8,8,8"],
     "Zarr v2 has no shards", 1),
    (["convert", "{tmp}/ok.npy", "{tmp}/out.zarr", "--level", "12"], "level 12", 1),
    (["convert", "{tmp}/ok.npy", "{tmp}/ok.npy", "--overwrite"], "overlaps the source", 1),
    (["convert", "{tmp}/s.tif", "{tmp}/s.tif", "--overwrite"], "overlaps the source", 1),
    (["convert", "{tmp}/s.tif", "{tmp}", "--overwrite"], "overlaps the source", 1),
    (["convert", "{tmp}/ok.npy"], "the following arguments are required: DST", 2),
    (["convert", "{tmp}/text.txt", "{tmp}/out.zarr"], "not a .npy file, a TIFF file", 1),
    (["convert", "{tmp}/ok.npy", "/proc/aqz-never.zarr"], "cannot create the store directory", 1),
    (["info", "{tmp}/missing.zarr"], "does not exist", 1),
    (["info", "{tmp}"], "is not a Zarr store", 1),
    (["frobnicate"], "invalid choice: 'frobnicate'", 2),
])
def test_errors_are_one_line(tmp_path, args, needle, status):
    np.save(tmp_path / "half.npy", np.zeros((4, 8, 8), np.float16))
    np.save(tmp_path / "ok.npy", np.zeros((8, 8, 8), np.uint8))
    (tmp_path / "text.txt").write_text("hello")
    tifffile.imwrite(tmp_path / "s.tif", np.zeros((2, 8, 8), np.uint8))
    before = sorted(os.listdir(tmp_path))
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert_one_line_error(result, needle, status)
    assert sorted(os.listdir(tmp_path)) == before, "an error left something behind"


def test_existing_destination_needs_overwrite(tmp_path):
    np.save(tmp_path / "ok.npy", np.ones((8, 8), np.uint8))
    (tmp_path / "out.zarr").mkdir()
    (tmp_path / "out.zarr" / "keep").write_text("mine")
    result = run("convert", tmp_path / "ok.npy", tmp_path / "out.zarr")
    assert_one_line_error(result, "exists; pass --overwrite to replace it")
    assert os.listdir(tmp_path / "out.zarr") == ["keep"]


SLOW_CONVERT = textwrap.dedent("""\
    import sys, time
    import acquire_zarr.convert as convert

    marker = sys.argv.pop(1)
    real_open = convert.open_source

    class Slow:
        def __init__(self, array):
            self.array, self.shape, self.dtype, self.reads = array, array.shape, array.dtype, 0

        def __getitem__(self, index):
            self.reads += 1
            if self.reads == 4:
                open(marker, "w").close()
            # Slow enough after the marker that Ctrl-C comes mid-convert
            # even on a loaded machine (under ASan the whole conversion
            # once finished first).
            time.sleep(0.05 if self.reads < 4 else 0.5)
            return self.array[index]

    def slow_open(path, **kwargs):
        info = real_open(path, **kwargs)
        info.array = Slow(info.array)
        return info

    convert.open_source = slow_open
    from acquire_zarr.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_ctrl_c_mid_convert_leaves_a_truthful_store(tmp_path):
    data = random_data((96, 32, 32), "uint16", seed=6)
    np.save(tmp_path / "v.npy", data)
    marker = tmp_path / "started"
    dst = tmp_path / "v.zarr"
    (tmp_path / "slow.py").write_text(SLOW_CONVERT)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "slow.py"), str(marker), "convert", str(tmp_path / "v.npy"),
         str(dst), "--chunks", "4,8,8", "--shards", "none", "--max-slab-mb", "0.03", "--progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "interrupted" in last and "readable partial store" in last, err
    rows = check_truthful_prefix(dst, data, "mean", (4, 8, 8))
    assert 0 < rows[0] < 96, rows
    assert f"{rows[0]} complete rows" in last


def test_info_describes_the_store(tmp_path):
    data = random_data((20, 70, 60), "uint16", seed=7)
    np.save(tmp_path / "i.npy", data)
    dst = tmp_path / "i.zarr"
    assert run("convert", tmp_path / "i.npy", dst, "--chunks", "8,16,16",
               "--name", "img").returncode == 0
    result = run("info", dst)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "OME-NGFF 0.5 image 'img': axes z,y,x" in out
    assert "OME metadata valid" in out
    assert "0  array v3  shape (20, 70, 60)  uint16  dims z,y,x" in out
    assert "chunks (8, 16, 16)  shards (24, 80, 64)  codecs blosc zstd level 1 shuffle" in out
    assert "ratio" in out and "stored" in out
    assert out.strip().splitlines()[-1].startswith(f"{out.count(' array v')} arrays, stored")


def test_info_v2_and_invalid_metadata(tmp_path):
    data = random_data((10, 40, 40), "uint8", seed=8)
    np.save(tmp_path / "i.npy", data)
    dst = tmp_path / "v2.zarr"
    assert run("convert", tmp_path / "i.npy", dst, "--zarr-version", "2").returncode == 0
    result = run("info", dst, via="module")
    assert result.returncode == 0, result.stderr
    assert "OME-NGFF 0.4 image" in result.stdout and "array v2" in result.stdout
    # break the multiscales: info says so and exits 1
    attrs = json.loads((dst / ".zattrs").read_text())
    attrs["multiscales"][0]["axes"] = [{"name": "q", "type": "space"}]
    (dst / ".zattrs").write_text(json.dumps(attrs))
    result = run("info", dst)
    assert result.returncode == 1
    assert "OME metadata INVALID" in result.stdout


@pytest.mark.parametrize("command,needles", [
    ([], ["convert SRC DST", "info STORE", "demo", "bench"]),
    (["convert"], ["--names", "--kinds", "--scale", "--units", "--chunks", "--shards", "--codec",
                   "--level", "--shuffle", "--method", "--no-pyramid", "--max-levels",
                   "--zarr-version", "--name", "--attributes", "--overwrite", "--threads",
                   "--max-slab-mb", "--progress", "--series", "--dry-run", "Ctrl-C", "OME-TIFF"]),
    (["info"], ["STORE", "compression", "ome-zarr-models"]),
    (["demo"], ["--output", "--frames", "--size", "--codec", "--level", "--threads"]),
    (["bench"], ["--runs 1 --frames 64 --impl ours", "make bench", "convert_bench.py"]),
])
def test_help_is_complete(command, needles):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for needle in needles:
        assert needle in text, needle


def test_demo_runs_small(tmp_path):
    result = run("demo", "--frames", "3", "--size", "128", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "read back with zarr-python equals the frame sent" in result.stdout
    assert "removed the temporary folder" in result.stdout
    # the example is the same program
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / "demo.py"),
                             "--frames", "2", "--size", "64", "--output", str(tmp_path / "d.zarr")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert zarr.open_array(str(tmp_path / "d.zarr")).shape == (2, 64, 64)


def test_make_demo_runs_the_cli_demo():
    recipe = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "acquire-zarr demo $(DEMO_ARGS)" in recipe


def test_bench_runs_bench_py_briefly(tmp_path):
    fake = tmp_path / "bench.py"
    fake.write_text("import sys; print('ARGS', ' '.join(sys.argv[1:]))\n")
    env = dict(os.environ, AQZ_BENCH=str(fake))
    result = run("bench", env=env)
    assert result.returncode == 0, result.stderr
    assert "ARGS --runs 1 --frames 64 --impl ours" in result.stdout
    assert "make bench" in result.stdout
    result = run("bench", "--", "--runs", "2", "--codec", "lz4", env=env)
    assert "ARGS --runs 2 --codec lz4" in result.stdout


def test_bench_without_a_checkout_says_so(tmp_path, monkeypatch, capsys):
    from acquire_zarr import cli

    monkeypatch.delenv("AQZ_BENCH", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert cli.main(["bench"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "benchmarks/bench.py not found" in err
