"""Creating a stream validates everything it can before touching the disk,
and a creation that fails leaves the disk as it was: store paths that are
the filesystem root or the working directory (however spelled) are refused,
key components are checked for reserved and over-long names, and an
existing store that overwrite would replace survives a failed creation."""

import os
from pathlib import Path

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz


def _array(output_key="a", chunk=8, size=16, compression=True, dtype=np.uint16):
    return aqz.ArraySettings(
        output_key=output_key,
        data_type=dtype,
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                                            codec=aqz.CompressionCodec.BLOSC_LZ4)
        if compression else None,
        dimensions=[
            aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                          chunk_size_px=1, shard_size_chunks=1),
            aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=size,
                          chunk_size_px=chunk, shard_size_chunks=1),
            aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=size,
                          chunk_size_px=chunk, shard_size_chunks=1),
        ])


@pytest.mark.parametrize("path", ["/", "/.", "//", "/./", "/tmp/..", "/tmp/../."])
def test_filesystem_root_is_refused_however_spelled(path):
    settings = aqz.StreamSettings(store_path=path, overwrite=True, arrays=[_array()])
    with pytest.raises(RuntimeError, match="filesystem root"):
        aqz.ZarrStream(settings)


@pytest.mark.parametrize("path", [".", "./", "..", "sub/..", "../.."])
def test_working_directory_and_its_parents_are_refused(tmp_path, monkeypatch, path):
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("mine")
    (work / "sub").mkdir()
    monkeypatch.chdir(work)
    settings = aqz.StreamSettings(store_path=path, overwrite=True, arrays=[_array()])
    with pytest.raises(RuntimeError, match="working directory"):
        aqz.ZarrStream(settings)
    assert (work / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt", "sub"]


def test_a_subdirectory_of_the_working_directory_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with aqz.ZarrStream(aqz.StreamSettings(store_path="./s.zarr/", overwrite=True,
                                           arrays=[_array()])) as stream:
        stream.append(np.ones((16, 16), np.uint16))
    assert zarr.open_array(str(tmp_path / "s.zarr" / "a")).shape == (1, 16, 16)


@pytest.mark.parametrize("key, words", [
    ("zarr.json", "metadata"), ("a/zarr.json", "metadata"), (".zgroup", "metadata"),
    ("b/.zattrs", "metadata"), (".zarray", "metadata"),
    ("x" * 256, "at most 255"), ("g/" + "y" * 300, "at most 255"),
    ("caf\u00e9", "non-ASCII"), ("\u56fe\u50cf/a", "non-ASCII"),
])
def test_bad_key_components_are_refused_before_the_disk(tmp_path, key, words):
    store = tmp_path / "s.zarr"
    settings = aqz.StreamSettings(store_path=str(store), arrays=[_array(output_key=key)])
    with pytest.raises(RuntimeError) as error:
        aqz.ZarrStream(settings)
    message = str(error.value)  # a str, never a UnicodeDecodeError
    assert words in message, message
    assert not store.exists()


def _old_store(path: Path) -> None:
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(path), overwrite=True,
                                           arrays=[_array(output_key="old")])) as stream:
        stream.append(np.full((2, 16, 16), 7, np.uint16))
    (path / "note.txt").write_text("not ours")


def test_buffers_the_machine_cannot_give_are_refused_before_the_disk(tmp_path):
    store = tmp_path / "s.zarr"
    _old_store(store)
    # 2 layer buffers of 128 GiB on a machine of a few dozen.
    huge = _array(output_key="new", chunk=32768, size=131072, compression=False,
                  dtype=np.uint64)
    settings = aqz.StreamSettings(store_path=str(store), overwrite=True,
                                  version=aqz.ZarrVersion.V2, arrays=[huge])
    with pytest.raises(RuntimeError, match="MiB are available") as error:
        aqz.ZarrStream(settings)
    assert error.value.status == "OutOfMemory"
    assert (store / "note.txt").read_text() == "not ours"
    np.testing.assert_array_equal(zarr.open_array(str(store / "old"))[:], 7)


_FAIL_LATE = """
import resource, sys
import numpy as np
import acquire_zarr as aqz
sys.path.insert(0, {tests!r})
from test_creation_safety import _array
# Address space for what is mapped now, but not one 512 MiB layer buffer:
# the memory check passes (the machine has the memory), the buffer's
# allocation fails after the store was prepared.
with open("/proc/self/status") as status:
    vm = next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024
limit = vm + (256 << 20)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
big = _array(output_key="new", chunk=4096, size=8192, compression=False, dtype=np.uint64)
settings = aqz.StreamSettings(store_path={store!r}, overwrite=True, max_threads=1,
                              version=aqz.ZarrVersion.V2, arrays=[big])
try:
    aqz.ZarrStream(settings)
except RuntimeError as error:
    print("refused:", error)
    sys.exit(3)
sys.exit(0)
"""


def test_failed_creation_keeps_the_store_overwrite_would_replace(tmp_path):
    import subprocess
    import sys

    store = tmp_path / "s.zarr"
    _old_store(store)
    script = _FAIL_LATE.format(tests=str(Path(__file__).parent), store=str(store))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert (store / "note.txt").read_text() == "not ours"
    np.testing.assert_array_equal(zarr.open_array(str(store / "old"))[:], 7)
    assert not (store / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.zarr"], "nothing left beside it"


def test_failed_creation_of_a_new_store_leaves_nothing(tmp_path):
    store = tmp_path / "s.zarr"
    huge = _array(output_key="new", chunk=32768, size=131072, compression=False,
                  dtype=np.uint64)
    with pytest.raises(RuntimeError):
        aqz.ZarrStream(aqz.StreamSettings(store_path=str(store), version=aqz.ZarrVersion.V2,
                                          arrays=[huge]))
    assert not store.exists()


def test_late_failed_creation_removes_the_parent_directories_it_made(tmp_path):
    """A store path below directories that do not exist yet: creation makes them,
    and a creation that fails after that (the layer buffer's allocation) takes them
    back, not only the store directory itself."""
    import subprocess
    import sys

    (tmp_path / "kept").mkdir()
    store = tmp_path / "kept" / "new" / "deeper" / "s.zarr"
    script = _FAIL_LATE.format(tests=str(Path(__file__).parent), store=str(store))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "OutOfMemory" in result.stdout or "memory" in result.stdout.lower(), result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == [], "the directories it made are gone"


def test_overwrite_replaces_the_store_once_creation_succeeded(tmp_path):
    store = tmp_path / "s.zarr"
    _old_store(store)
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(store), overwrite=True,
                                           arrays=[_array(output_key="new")])) as stream:
        stream.append(np.ones((16, 16), np.uint16))
    assert not (store / "old").exists() and not (store / "note.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.zarr"]


def test_too_many_threads_are_refused(tmp_path):
    settings = aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"), max_threads=40000,
                                  arrays=[_array()])
    with pytest.raises(RuntimeError, match="max_threads"):
        aqz.ZarrStream(settings)
    assert not (tmp_path / "s.zarr").exists()


def _dims(t_shard=1, y=(64, 32, 1), x=(64, 32, 1)):
    return [
        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                      chunk_size_px=1, shard_size_chunks=t_shard),
        aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=y[0],
                      chunk_size_px=y[1], shard_size_chunks=y[2]),
        aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=x[0],
                      chunk_size_px=x[1], shard_size_chunks=x[2]),
    ]


@pytest.mark.parametrize("shard", [10**8, 2**32 - 1])
def test_shards_larger_than_the_array_are_cut_to_it(tmp_path, shard):
    import json
    import time

    store = tmp_path / "s.zarr"
    data = np.random.default_rng(3).integers(0, 999, (3, 64, 64), dtype=np.uint16)
    settings = aqz.StreamSettings(store_path=str(store), arrays=[aqz.ArraySettings(
        output_key="a", data_type=np.uint16, dimensions=_dims(y=(64, 32, shard)))])
    start = time.monotonic()
    with aqz.ZarrStream(settings) as stream:
        stream.append(data)
    assert time.monotonic() - start < 10, "must not scale with the shard size asked for"
    meta = json.loads((store / "a" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [1, 64, 32]
    np.testing.assert_array_equal(zarr.open_array(str(store / "a"))[:], data)
    import tensorstore as ts
    read = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(store / "a")}}).result()
    np.testing.assert_array_equal(read.read().result(), data)


def test_an_unbounded_shard_with_a_giant_index_is_refused(tmp_path):
    settings = aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"), arrays=[aqz.ArraySettings(
        output_key="a", data_type=np.uint16, dimensions=_dims(t_shard=10**8))])
    with pytest.raises(RuntimeError, match="shard_size_chunks"):
        settings.get_maximum_memory_usage()
    with pytest.raises(RuntimeError, match="shard_size_chunks"):
        aqz.ZarrStream(settings)
    assert not (tmp_path / "s.zarr").exists()


def test_one_pixel_chunks_on_a_large_frame_are_refused_quickly(tmp_path):
    import time

    settings = aqz.StreamSettings(store_path=str(tmp_path / "s.zarr"), arrays=[aqz.ArraySettings(
        output_key="a", data_type=np.uint16,
        dimensions=_dims(y=(2048, 1, 1), x=(2048, 1, 1)))])
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="larger chunks"):
        settings.get_maximum_memory_usage()
    assert time.monotonic() - start < 5
    assert not (tmp_path / "s.zarr").exists()
