"""Regression tests for what the settings fuzzers (test_settings_fuzz.py,
tests/fuzz/) found: each refusal is the documented exception, names the
field, and comes before anything touches the disk."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz

T, S = aqz.DimensionType.TIME, aqz.DimensionType.SPACE


def _dims(x=(16, 8)):
    return [aqz.Dimension(name="t", kind=T, array_size_px=0, chunk_size_px=1, shard_size_chunks=1),
            aqz.Dimension(name="y", kind=S, array_size_px=16, chunk_size_px=8, shard_size_chunks=1),
            aqz.Dimension(name="x", kind=S, array_size_px=x[0], chunk_size_px=x[1],
                          shard_size_chunks=1)]


def _array(key="a", **kw):
    return aqz.ArraySettings(output_key=key, data_type=np.uint16, dimensions=_dims(), **kw)


def _plate(path="plate", row="A", fov="fov", acquisition="acq"):
    return aqz.Plate(path=path, row_names=[row], column_names=["1"],
                     acquisitions=[aqz.Acquisition(id=0, name=acquisition)],
                     wells=[aqz.Well(row_name=row, column_name="1", images=[
                         aqz.FieldOfView(path=fov, array_settings=_array(None))])])


def _old_store(path: Path) -> None:
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(path), overwrite=True,
                                           arrays=[_array("old")])) as stream:
        stream.append(np.full((2, 16, 16), 7, np.uint16))
    (path / "note.txt").write_text("not ours")


def _assert_old_store_intact(path: Path) -> None:
    assert (path / "note.txt").read_text() == "not ours"
    np.testing.assert_array_equal(zarr.open_array(str(path / "old"))[:], 7)
    assert sorted(p.name for p in path.iterdir()) == ["note.txt", "old", "zarr.json"]


# Each builds the settings with `bad` in one string field. The C API takes
# NUL-terminated UTF-8: a NUL used to cut the string short silently (a key
# "a\0b" wrote array "a"; a store path ".../st\0ore" wrote ".../st"), a lone
# surrogate raised pybind11's "Unable to cast Python instance" RuntimeError.
STRING_FIELDS = {
    "ArraySettings.output_key": lambda store, bad: aqz.StreamSettings(
        store_path=store, arrays=[_array("a" + bad)]),
    "Dimension.name": lambda store, bad: aqz.StreamSettings(
        store_path=store, arrays=[aqz.ArraySettings(
            data_type=np.uint8, dimensions=_dims()[:2] + [aqz.Dimension(
                name="x" + bad, kind=S, array_size_px=4, chunk_size_px=4)])]),
    "Dimension.unit": lambda store, bad: aqz.Dimension(name="x", unit="um" + bad),
    "Plate.path": lambda store, bad: aqz.StreamSettings(
        store_path=store, plates=[_plate(path="p" + bad)]),
    "Plate.row_names item": lambda store, bad: aqz.Plate(path="p", row_names=["A" + bad]),
    "Well.row_name": lambda store, bad: aqz.StreamSettings(
        store_path=store, plates=[_plate(row="A" + bad)]),
    "FieldOfView.path": lambda store, bad: aqz.StreamSettings(
        store_path=store, plates=[_plate(fov="f" + bad)]),
    "Acquisition.name": lambda store, bad: aqz.StreamSettings(
        store_path=store, plates=[_plate(acquisition="a" + bad)]),
}


@pytest.mark.parametrize("bad, words", [("\x00b", "NUL"), ("\ud800", "UTF-8")],
                         ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("field", sorted(STRING_FIELDS))
def test_strings_the_c_api_cannot_carry_are_refused_naming_the_field(tmp_path, field, bad,
                                                                      words):
    store = str(tmp_path / "s.zarr")
    with pytest.raises(aqz.InvalidSettingsError) as error:
        aqz.ZarrStream(STRING_FIELDS[field](store, bad))
    assert isinstance(error.value, ValueError) and isinstance(error.value, RuntimeError)
    assert field in str(error.value) and words in str(error.value), str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_a_nul_in_the_store_path_is_refused_not_truncated(tmp_path):
    with pytest.raises(aqz.InvalidSettingsError, match="store_path.*NUL"):
        aqz.ZarrStream(aqz.StreamSettings(store_path=str(tmp_path / "st\x00ore.zarr"),
                                          arrays=[_array()]))
    assert list(tmp_path.iterdir()) == []  # not even "st"


def test_a_store_path_that_is_not_utf8_is_used_as_its_bytes(tmp_path):
    # How Python spells a file name that is not UTF-8 (os.fsdecode).
    store = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.zarr")
    with aqz.ZarrStream(aqz.StreamSettings(store_path=store, arrays=[_array()])) as stream:
        assert "caf" in repr(stream)
        stream.append(np.ones((16, 16), np.uint16))
    assert os.listdir(os.fsencode(str(tmp_path))) == [b"caf\xe9.zarr"]
    np.testing.assert_array_equal(zarr.open_array(store + "/a")[:], 1)


def test_an_engine_message_quoting_bytes_that_are_not_utf8_is_still_raised(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    store = os.fsdecode(os.fsencode(str(tmp_path)) + b"/file/\xff.zarr")
    with pytest.raises(aqz.AcquireZarrError) as error:  # was a UnicodeDecodeError
        aqz.ZarrStream(aqz.StreamSettings(store_path=store, arrays=[_array()]))
    assert "\\xff" in str(error.value), str(error.value)


# custom_metadata is written right after creation: refused there, it left
# the new store behind (and an old store that overwrite replaced was gone).
CUSTOM_METADATA = {
    "two-arrays": (dict(arrays=[_array("a"), _array("b")]), {"k": 1}, "2 arrays"),
    "ome": (dict(arrays=[_array()]), {"ome": {}}, "'ome'"),
    "v2-ngff-multiscales": (dict(arrays=[_array(is_ngff=True)], version=aqz.ZarrVersion.V2),
                            {"multiscales": []}, "'multiscales'"),
    "lone-surrogate": (dict(arrays=[_array()]), {"k": "\udcff"}, "JSON"),
}


@pytest.mark.parametrize("name", sorted(CUSTOM_METADATA))
def test_custom_metadata_is_refused_before_the_disk(tmp_path, name):
    store = tmp_path / "s.zarr"
    _old_store(store)
    kw, metadata, words = CUSTOM_METADATA[name]
    settings = aqz.StreamSettings(store_path=str(store), overwrite=True,
                                  custom_metadata=metadata, **kw)
    with pytest.raises(aqz.InvalidSettingsError) as error:
        aqz.ZarrStream(settings)
    assert "custom_metadata" in str(error.value) and words in str(error.value), str(error.value)
    _assert_old_store_intact(store)
    assert [p.name for p in tmp_path.iterdir()] == ["s.zarr"]


def test_custom_metadata_may_use_multiscales_on_a_plain_v2_array(tmp_path):
    store = tmp_path / "s.zarr"
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(store), version=aqz.ZarrVersion.V2,
                                           custom_metadata={"multiscales": 1},
                                           arrays=[_array()])):
        pass
    assert zarr.open_array(str(store / "a")).attrs["multiscales"] == 1


def test_a_nul_in_an_append_or_metadata_key_is_refused(tmp_path):
    store = tmp_path / "s.zarr"
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(store), arrays=[_array()])) as stream:
        with pytest.raises(aqz.InvalidSettingsError, match="key contains a NUL"):
            stream.append(np.ones((16, 16), np.uint16), key="a\x00b")  # was: wrote to "a"
        with pytest.raises(aqz.InvalidSettingsError, match="metadata_key contains a NUL"):
            stream.write_custom_metadata({"x": 1}, metadata_key="k\x00j")
        with pytest.raises(aqz.InvalidSettingsError, match="metadata contains a NUL"):
            stream.write_custom_metadata('{"x": 1}\x00 and more')
    assert zarr.open_array(str(store / "a")).shape == (0, 16, 16)
    assert "k" not in zarr.open_array(str(store / "a")).attrs


@pytest.mark.parametrize("compressed", [False, True])
def test_chunks_far_larger_than_the_array_are_refused(tmp_path, compressed):
    """2^31 pixels per chunk along a 13-pixel axis: every chunk was stored
    at its declared 128 GiB, filling the disk."""
    compression = aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD,
                                          codec=aqz.CompressionCodec.ZSTD) if compressed else None
    array = aqz.ArraySettings(output_key="a", data_type=np.uint8, compression=compression,
                              dimensions=_dims(x=(13, 2**31)))
    with pytest.raises(aqz.InvalidSettingsError) as error:
        aqz.ZarrStream(aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"), arrays=[array]))
    message = str(error.value)
    assert "'x'" in message and "chunk_size_px 2147483648" in message and "13" in message, message
    assert list(tmp_path.iterdir()) == []


def test_a_chunk_somewhat_larger_than_the_array_is_kept_as_asked(tmp_path):
    array = aqz.ArraySettings(output_key="a", data_type=np.uint16, dimensions=_dims(x=(13, 4096)))
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"),
                                           arrays=[array])) as stream:
        stream.append(np.arange(16 * 13, dtype=np.uint16))
    got = zarr.open_array(str(tmp_path / "s.zarr" / "a"))
    assert got.metadata.to_dict()["codecs"][0]["configuration"]["chunk_shape"] == (1, 8, 4096)
    np.testing.assert_array_equal(got[0].reshape(-1), np.arange(16 * 13))


_FAIL_LATE_INTO_EXISTING = """
import resource, sys
import numpy as np
import acquire_zarr as aqz
with open("/proc/self/status") as status:
    vm = next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (256 << 20),) * 2)
dims = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=4096, shard_size_chunks=1)
        for n, k, s in (("t", aqz.DimensionType.TIME, 0), ("y", aqz.DimensionType.SPACE, 8192),
                        ("x", aqz.DimensionType.SPACE, 8192))]
# Compressed, so that frames go through layer buffers (uncompressed ones
# would go straight to the files and need none).
zstd = aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD, codec=aqz.CompressionCodec.ZSTD)
big = aqz.ArraySettings(output_key="g/new", data_type=np.uint64, dimensions=dims,
                        compression=zstd)
try:
    aqz.ZarrStream(aqz.StreamSettings(store_path={store!r}, max_threads=1, arrays=[big]))
except RuntimeError as error:
    sys.exit(3)
"""


def test_a_late_failure_adds_nothing_to_an_existing_store(tmp_path):
    """A 512 MiB layer buffer over RLIMIT_AS: the memory check passes, the
    allocation fails after the stream wrote its groups into the old store,
    and what it wrote there is taken back (the filesystem store journals a
    creation into an existing root)."""
    store = tmp_path / "s.zarr"
    _old_store(store)
    script = _FAIL_LATE_INTO_EXISTING.format(store=str(store))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, (result.stdout, result.stderr)
    _assert_old_store_intact(store)


def test_a_2d_image_of_too_many_chunks_is_refused_without_allocating_them(tmp_path):
    """A 2-D array's first dimension is the image's Y, inside the layer: its
    chunks were not counted, and estimating 2^31 rows of 10-pixel chunks
    allocated gigabytes (out of memory, or an OOM kill)."""
    dims = [aqz.Dimension(name="y", kind=S, array_size_px=2**31, chunk_size_px=10),
            aqz.Dimension(name="x", kind=S, array_size_px=6, chunk_size_px=4)]
    settings = aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"), version=aqz.ZarrVersion.V2,
                                  arrays=[aqz.ArraySettings(data_type=np.uint8, dimensions=dims)])
    for attempt in (settings.get_maximum_memory_usage, lambda: aqz.ZarrStream(settings)):
        with pytest.raises(aqz.InvalidSettingsError, match="chunks in the image.*'y'"):
            attempt()
    assert list(tmp_path.iterdir()) == []


def test_a_row_of_shards_with_giant_indices_is_refused(tmp_path):
    """2^20 chunks per shard along the unbounded first dimension, 16 shards
    a row: 256 MiB of indices (500 MiB to close 1680 bytes), not estimated."""
    dims = [aqz.Dimension(name="t", kind=T, array_size_px=0, chunk_size_px=3,
                          shard_size_chunks=2**20),
            aqz.Dimension(name="y", kind=S, array_size_px=24, chunk_size_px=6, shard_size_chunks=1),
            aqz.Dimension(name="x", kind=S, array_size_px=28, chunk_size_px=7, shard_size_chunks=1)]
    settings = aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"),
                                  arrays=[aqz.ArraySettings(data_type=np.uint8, dimensions=dims)])
    with pytest.raises(aqz.InvalidSettingsError, match="'t' has shard_size_chunks 1048576"):
        aqz.ZarrStream(settings)
    assert list(tmp_path.iterdir()) == []


_TOO_MANY_THREADS = """
import resource, sys
import numpy as np
import acquire_zarr as aqz
with open("/proc/self/status") as status:
    vm = next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (256 << 20),) * 2)  # stacks for a few dozen
dims = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=4, shard_size_chunks=1)
        for n, k, s in (("t", aqz.DimensionType.TIME, 0), ("y", aqz.DimensionType.SPACE, 8),
                        ("x", aqz.DimensionType.SPACE, 8))]
try:
    aqz.ZarrStream(aqz.StreamSettings(store_path={store!r}, max_threads=4096, arrays=[
        aqz.ArraySettings(data_type=np.uint8, dimensions=dims)]))
except RuntimeError as error:
    print(error.status, error)
    sys.exit(3)
"""


def test_threads_the_machine_cannot_start_are_a_resource_refusal(tmp_path):
    """Was InternalError ("an internal error occurred") for a limit of the
    machine; it is OutOfMemory, and the message says to lower max_threads."""
    script = _TOO_MANY_THREADS.format(store=str(tmp_path / "s.zarr"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout.startswith("OutOfMemory") and "max_threads" in result.stdout, result.stdout
    assert list(tmp_path.iterdir()) == []
