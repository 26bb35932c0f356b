"""Frames too large to hold two of are written in bands of one chunk of rows
(src/array/FrameBanding.hpp): when every dimension before Y has chunk 1, each
frame is its own layer, and a whole-slide image or a plane of a large volume
would otherwise be held two or three times over. A banded array must store
exactly what an unbanded one does (every level of a pyramid included), claim
only the bands it has, and hold memory that does not grow with the frame.

ZARR_BANDED_FRAME_BYTES (default 64 MiB) is lowered here so that small arrays
are banded; the memory tests use the default with frames above it. Everything
is read back with zarr-python and TensorStore against numpy."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorstore as ts
import zarr

import acquire_zarr as aqz
import pyramid_reference as pr

KINDS = {"t": aqz.DimensionType.TIME, "c": aqz.DimensionType.CHANNEL,
         "z": aqz.DimensionType.SPACE, "y": aqz.DimensionType.SPACE,
         "x": aqz.DimensionType.SPACE}
LZ4 = aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                              codec=aqz.CompressionCodec.BLOSC_LZ4, level=1, shuffle=1)


def settings_for(store, names, sizes, chunks, shards, codec=True, version="v3",
                 method=None, dtype=np.uint16, key="img"):
    dims = [aqz.Dimension(name=n, kind=KINDS[n], array_size_px=s, chunk_size_px=c,
                          shard_size_chunks=h)
            for n, s, c, h in zip(names, sizes, chunks, shards)]
    array = aqz.ArraySettings(output_key=key, dimensions=dims, data_type=dtype,
                              compression=LZ4 if codec else None)
    if method:
        array.downsampling_method = getattr(aqz.DownsamplingMethod, method)
    return aqz.StreamSettings(
        store_path=str(store), arrays=[array], overwrite=True, max_threads=2,
        version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2)


def data_of(sizes, dtype=np.uint16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 60000, size=sizes).astype(dtype)


def stream(settings, data, pieces, stop=None):
    """Appends data's bytes in `pieces` roughly equal appends (up to byte
    `stop`), cut anywhere: across bands, frames and pixels."""
    flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    stop = len(flat) if stop is None else stop
    step = -(-len(flat) // pieces)
    with aqz.ZarrStream(settings) as s:
        for i in range(0, stop, step):
            s.append(flat[i:min(i + step, stop)], key="img")


def read_both(path, version):
    z = zarr.open_array(str(path), mode="r", zarr_format=3 if version == "v3" else 2)[...]
    spec = {"driver": "zarr3" if version == "v3" else "zarr",
            "kvstore": {"driver": "file", "path": str(path) + "/"}}
    t = ts.open(spec, open=True, read=True).result().read().result()
    return z, t


def check_equal(path, version, expected):
    for reader, got in zip(("zarr-python", "TensorStore"), read_both(path, version)):
        assert got.shape == expected.shape, (reader, got.shape, expected.shape)
        bad = np.argwhere(got != expected)
        assert bad.size == 0, f"{reader}: {len(bad)} pixels differ, first at {bad[0].tolist()}"


def estimate(monkeypatch, settings, banded_bytes):
    monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", str(banded_bytes))
    return settings.get_maximum_memory_usage()


CASES = [
    # names, sizes, chunks, shards, codec, version, appends
    ("yx", (1000, 700), (64, 128), (4, 2), True, "v3", 1),
    ("yx", (999, 701), (64, 128), (3, 2), False, "v3", 7),  # direct writes, odd sizes
    ("yx", (1000, 700), (64, 128), (1, 1), True, "v2", 13),
    ("cyx", (3, 777, 300), (1, 50, 128), (1, 3, 2), True, "v3", 5),  # the last band 27 rows
    ("cyx", (3, 777, 300), (1, 50, 128), (2, 2, 2), False, "v2", 40),
    ("tcyx", (0, 2, 300, 200), (1, 1, 64, 64), (2, 1, 2, 2), True, "v3", 17),  # unbounded t
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[5]}-{'lz4' if c[4] else 'raw'}-{c[6]}")
def test_banded_array_reads_back_exactly(tmp_path, monkeypatch, case):
    names, sizes, chunks, shards, codec, version, pieces = case
    sizes = list(sizes)
    data_shape = [3 if s == 0 else s for s in sizes]
    data = data_of(data_shape)
    settings = settings_for(tmp_path / "s.zarr", names, sizes, chunks, shards, codec, version)
    unbanded = estimate(monkeypatch, settings, 1 << 40)
    banded = estimate(monkeypatch, settings, 4096)
    assert banded < unbanded, "a band, not a frame, is the unit: the estimate must fall"
    stream(settings, data, pieces)
    check_equal(tmp_path / "s.zarr" / "img", version, data)


@pytest.mark.parametrize("method", ["MEAN", "MAX", "DECIMATE"])
@pytest.mark.parametrize("names,sizes,chunks,shards,version", [
    ("yx", (1000, 700), (64, 128), (4, 2), "v3"),
    ("yx", (999, 701), (64, 128), (4, 2), "v2"),  # odd: the last row and column repeat
    ("cyx", (2, 999, 701), (1, 32, 128), (1, 3, 2), "v3"),  # level 1 banded, 2 and 3 not
    # Z halved too (2x2x2, then Z only): an even plane's bands wait for the
    # odd plane's; 5 planes, so the last passes through.
    ("zyx", (5, 300, 200), (1, 32, 64), (2, 2, 2), "v3"),
    ("tzyx", (2, 3, 300, 200), (1, 1, 32, 64), (1, 2, 2, 2), "v2"),
])
def test_banded_pyramid_is_the_reference_pyramid(tmp_path, monkeypatch, method, names, sizes,
                                                  chunks, shards, version):
    data = data_of(sizes, seed=3)
    kinds = [KINDS[n] for n in names]
    levels = pr.plan_levels(sizes, chunks, shards, kinds)
    expected = pr.pyramid(data, levels, getattr(aqz.DownsamplingMethod, method))
    assert len(expected) >= 3
    for banded_bytes in (1 << 40, 1000):  # whole frames, then bands: the same store
        monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", str(banded_bytes))
        store = tmp_path / f"b{banded_bytes}.zarr"
        settings = settings_for(store, names, sizes, chunks, shards, True, version, method)
        stream(settings, data, 9)
        for k, level in enumerate(expected):
            check_equal(store / "img" / str(k), version, level)
        pr.validate_ngff_image(store, "img", version)


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_banded_image_closed_early_claims_its_bands(tmp_path, monkeypatch, version):
    """An image cut short claims the bands it got (the last one padded with
    zeros), not the whole image; its pyramid levels what those make."""
    monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", "1000")
    sizes, chunks, shards = (1000, 700), (64, 128), (4, 2)
    data = data_of(sizes, seed=5)
    stop = (401 * 700 + 3) * 2 + 1  # 401 rows, 3 pixels and a byte of row 402
    store = tmp_path / "s.zarr"
    stream(settings_for(store, "yx", sizes, chunks, shards, True, version, "MEAN"), data, 9, stop)
    got = np.zeros_like(data)
    got.reshape(-1).view(np.uint8)[:stop] = data.reshape(-1).view(np.uint8)[:stop]
    rows = -(-402 // 64) * 64  # 7 bands
    level0 = got[:rows]
    check_equal(store / "img" / "0", version, level0)
    levels = pr.plan_levels(list(sizes), chunks, shards, [KINDS["y"], KINDS["x"]])
    expected = pr.pyramid(level0, levels, aqz.DownsamplingMethod.MEAN)
    # Level 1's last band came from level 0's 7th band alone: its other half
    # is zeros, claimed with it (as a stream closed mid-row claims that row).
    level1 = np.zeros((-(-expected[1].shape[0] // 64) * 64, expected[1].shape[1]), np.uint16)
    level1[:expected[1].shape[0]] = expected[1]
    check_equal(store / "img" / "1", version, level1)


_PEAK_CHILD = r"""
import json, resource, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import acquire_zarr as aqz
from test_banding import settings_for
height, store, method = int(sys.argv[2]), sys.argv[3], sys.argv[4] or None
width, band_rows = 8192, 256
settings = settings_for(store, "yx", [height, width], [256, 256], [8, 8], True, "v3", method)
rows = (np.arange(band_rows * width, dtype=np.uint32).reshape(band_rows, width) % 4099).astype(np.uint16)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with aqz.ZarrStream(settings) as stream:
    for r in range(0, height, band_rows):  # a converter's slabs: bands of the image
        stream.append(rows[: min(band_rows, height - r)], key="img")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate": settings.get_maximum_memory_usage(), "used": peak - before}))
"""


@pytest.mark.parametrize("method", ["", "MEAN"])
def test_memory_does_not_grow_with_the_image(tmp_path, method):
    """Images of 128 and 256 MiB (8192 wide, uint16), both above the default
    64 MiB, appended in bands: memory is what the estimate says and the same
    for both. Unbanded, the writer held two images and a joined one."""
    used = {}
    for height in (8192, 16384):
        out = subprocess.run([sys.executable, "-c", _PEAK_CHILD, str(Path(__file__).parent),
                              str(height), str(tmp_path / f"h{height}.zarr"), method],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        used[height] = json.loads(out.stdout.strip().splitlines()[-1])
        assert used[height]["used"] <= used[height]["estimate"], used
    image = 16384 * 8192 * 2
    assert used[16384]["estimate"] < image, used
    assert used[16384]["estimate"] == used[8192]["estimate"], used
    assert used[16384]["used"] < used[8192]["used"] + 16 * 2**20, used
    z = zarr.open_group(str(tmp_path / "h16384.zarr"), mode="r")["img"]
    level0 = z if method == "" else z["0"]
    assert level0.shape == (16384, 8192)
    band = (np.arange(256 * 8192, dtype=np.uint32).reshape(256, 8192) % 4099).astype(np.uint16)
    np.testing.assert_array_equal(level0[16384 - 256:], band)
    np.testing.assert_array_equal(level0[:256], band)


def test_a_bad_banding_variable_is_ignored_with_a_warning(tmp_path, monkeypatch, caplog):
    settings = settings_for(tmp_path / "s.zarr", "yx", (1000, 700), (64, 128), (4, 2))
    monkeypatch.delenv("ZARR_BANDED_FRAME_BYTES", raising=False)
    default = settings.get_maximum_memory_usage()
    for bad in ("lots", "-5", "0", "12abc"):
        monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", bad)
        caplog.clear()
        with caplog.at_level("WARNING", logger="acquire_zarr"):
            assert settings.get_maximum_memory_usage() == default, bad
        assert f"ZARR_BANDED_FRAME_BYTES='{bad}'" in caplog.text, caplog.text


_CONVERT_CHILD = r"""
import json, resource, sys
import numpy as np
import acquire_zarr as aqz
source = np.load(sys.argv[1], mmap_mode="r")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
aqz.to_ome_zarr(source, sys.argv[2], overwrite=True, downsampling_method=sys.argv[3] or None)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"used": peak - before}))
"""


@pytest.mark.parametrize("method", ["", "mean"])
def test_converting_a_large_image_holds_a_fraction_of_it(tmp_path, method):
    """A 256 MiB 2-D image (memory-mapped .npy) to OME-Zarr with the default
    layout, with and without a MEAN pyramid: the conversion used to hold
    three times the image (776 MiB measured); banded, about half of it."""
    height, width = 16384, 8192
    source = np.lib.format.open_memmap(tmp_path / "img.npy", mode="w+", dtype=np.uint16,
                                       shape=(height, width))
    rows = (np.arange(1024 * width, dtype=np.uint32).reshape(1024, width) % 3989).astype(np.uint16)
    for r in range(0, height, 1024):
        source[r:r + 1024] = rows + r // 1024
    source.flush()
    out = subprocess.run([sys.executable, "-c", _CONVERT_CHILD, str(tmp_path / "img.npy"),
                          str(tmp_path / "img.ome.zarr"), method], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    used = json.loads(out.stdout.strip().splitlines()[-1])["used"]
    image = height * width * 2
    assert used < 0.75 * image, f"the conversion held {used >> 20} MiB for a {image >> 20} MiB image"
    group = zarr.open_group(str(tmp_path / "img.ome.zarr"), mode="r")
    level0 = group["0"]
    np.testing.assert_array_equal(level0[8192:9216], rows + 8)
    np.testing.assert_array_equal(level0[height - 1024:], rows + 15)
    if method:
        expected = pr.downsample_step(np.asarray(source[:2048]), "mean")
        np.testing.assert_array_equal(group["1"][:1024], expected)
    pr.validate_ngff_image(tmp_path / "img.ome.zarr", "", "v3")


@pytest.mark.parametrize("codec", [True, False], ids=["lz4", "raw"])
def test_skipped_bytes_are_zeros_in_bands(tmp_path, monkeypatch, codec):
    """skip() across bands and frames (whole bands of zeros are passed on
    without a buffer) reads back as zeros, on every level."""
    monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", "1000")
    sizes, chunks, shards = (3, 500, 300), (1, 32, 64), (1, 2, 2)
    data = data_of(sizes, seed=9)
    flat = data.reshape(-1).view(np.uint8)
    expected = data.copy()
    holes = [(1000, 60000), (300 * 2 * 470, 300 * 2 * 560), (flat.size - 7, flat.size)]
    store = tmp_path / "s.zarr"
    settings = settings_for(store, "cyx", sizes, chunks, shards, codec, "v3", "MEAN")
    with aqz.ZarrStream(settings) as s:
        at = 0
        for start, stop in holes:
            s.append(flat[at:start], key="img")
            s.skip(stop - start, key="img")
            expected.reshape(-1).view(np.uint8)[start:stop] = 0
            at = stop
    levels = pr.plan_levels(list(sizes), chunks, shards, [KINDS[n] for n in "cyx"])
    for k, level in enumerate(pr.pyramid(expected, levels, aqz.DownsamplingMethod.MEAN)):
        check_equal(store / "img" / str(k), "v3", level)
