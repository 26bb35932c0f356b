"""Stream lifecycle, logging, threads, memory accounting, settings objects."""

import json
import logging
import re
import shutil

import numpy as np
import pytest
import yaml

import acquire_zarr as aqz
from conftest import (
    DTYPES,
    LZ4,
    ArraySpec,
    Codec,
    array_meta,
    random_data,
    stream_settings,
    verify_array,
    write_arrays,
)

# --------------------------------------------------------------------------
# enums and settings objects
# --------------------------------------------------------------------------

ENUMS = {
    "ZarrVersion": {"V2": 2, "V3": 3},
    "LogLevel": {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "NONE": 4},
    "DataType": {n.upper(): i for i, n in enumerate(DTYPES)},
    "Compressor": {"NONE": 0, "BLOSC1": 1, "ZSTD": 2},
    "CompressionCodec": {"NONE": 0, "BLOSC_LZ4": 1, "BLOSC_ZSTD": 2, "ZSTD": 3},
    "DimensionType": {"SPACE": 0, "CHANNEL": 1, "TIME": 2, "OTHER": 3},
    "DownsamplingMethod": {"DECIMATE": 1, "MEAN": 2, "MIN": 3, "MAX": 4},
}


@pytest.mark.parametrize("enum", ENUMS)
def test_enum_values(enum):
    cls = getattr(aqz, enum)
    for name, value in ENUMS[enum].items():
        member = getattr(cls, name)
        assert member.name == name
        assert member.value == value and int(member) == value
        assert cls(value) == member
        assert hash(member) == hash(cls(value))
    assert set(cls.__members__) == set(ENUMS[enum])


def test_defaults():
    s = aqz.StreamSettings()
    assert s.version == aqz.ZarrVersion.V3
    assert s.max_threads == 0
    assert s.overwrite is False
    assert s.s3 is None
    d = aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=4, chunk_size_px=2)
    assert d.scale == 1.0
    c = aqz.CompressionSettings()
    assert c.compressor == aqz.Compressor.NONE and c.codec == aqz.CompressionCodec.NONE
    a = aqz.ArraySettings()
    assert a.downsampling_method is None and a.compression is None and a.is_ngff is False
    assert a.max_levels == 0
    for obj in (s, d, c, a):
        assert isinstance(repr(obj), str)


def test_dimension_type_alias():
    d = aqz.Dimension(name="t", type=aqz.DimensionType.TIME, array_size_px=0, chunk_size_px=1, shard_size_chunks=1)
    assert d.kind == aqz.DimensionType.TIME


@pytest.mark.parametrize(
    "spelling",
    [aqz.DataType.INT16, np.int16, np.dtype("int16"), "int16"],
    ids=["DataType", "np-type", "np-dtype", "str"],
)
def test_data_type_spellings(store, version, spelling):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4), dtype="int16")
    arr = spec.settings()
    arr.data_type = spelling
    settings = aqz.StreamSettings(store_path=str(store), version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2, arrays=[arr], overwrite=True)
    data = random_data(spec.shape, "int16")
    stream = aqz.ZarrStream(settings)
    stream.append(data)
    stream.close()
    verify_array(store, spec, version, data)


def _rich_settings(store):
    dims = [
        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0, chunk_size_px=4, shard_size_chunks=2, unit="millisecond", scale=25.0),
        aqz.Dimension(name="c", kind=aqz.DimensionType.CHANNEL, array_size_px=3, chunk_size_px=1, shard_size_chunks=3),
        aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=48, chunk_size_px=16, shard_size_chunks=3, unit="micrometer", scale=0.25),
        aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=64, chunk_size_px=16, shard_size_chunks=2, unit="micrometer", scale=0.25),
    ]
    a1 = aqz.ArraySettings(
        output_key="g/one", dimensions=dims, data_type=aqz.DataType.UINT16,
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1, codec=aqz.CompressionCodec.BLOSC_ZSTD, level=3, shuffle=2),
    )
    a2 = aqz.ArraySettings(
        output_key="two", dimensions=dims[2:], data_type=aqz.DataType.FLOAT64,
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD, codec=aqz.CompressionCodec.ZSTD, level=7),
    )
    return aqz.StreamSettings(store_path=str(store), version=aqz.ZarrVersion.V2, max_threads=3, overwrite=True, arrays=[a1, a2])


def _summary(s):
    """The fields a round trip must preserve."""
    return {
        "store_path": s.store_path,
        "version": int(s.version),
        "max_threads": s.max_threads,
        "overwrite": s.overwrite,
        "keys": list(s.get_array_keys()),
        "arrays": [
            {
                "key": a.output_key,
                "dtype": np.dtype(a.data_type).name if not isinstance(a.data_type, aqz.DataType) else a.data_type.name.lower(),
                "compression": None if a.compression is None else (
                    int(a.compression.compressor), int(a.compression.codec), a.compression.level,
                    a.compression.shuffle if int(a.compression.compressor) == 1 else None,
                ),
                "dims": [
                    (d.name, int(d.kind), d.array_size_px, d.chunk_size_px, d.shard_size_chunks, d.unit or None, d.scale)
                    for d in a.dimensions
                ],
            }
            for a in s.arrays
        ],
    }


def test_settings_dict_json_yaml_round_trip(tmp_path):
    s = _rich_settings(tmp_path / "rt.zarr")
    want = _summary(s)
    d = s.to_dict()
    assert isinstance(d, dict)
    assert json.loads(s.to_json()) == d
    assert yaml.safe_load(s.to_yaml()) == d
    s2 = aqz.StreamSettings.from_dict(d)
    assert _summary(s2) == want
    assert s2.to_dict() == d
    assert _summary(aqz.StreamSettings.from_string(s.to_json())) == want
    assert _summary(aqz.StreamSettings.from_string(s.to_yaml())) == want
    for name in ("settings.json", "settings.yaml"):
        p = tmp_path / name
        s.to_file(str(p))
        assert p.stat().st_size > 0
        assert _summary(aqz.StreamSettings.from_file(str(p))) == want
    assert json.loads((tmp_path / "settings.json").read_text()) == d


def test_settings_round_trip_streams_identically(tmp_path):
    s = _rich_settings(tmp_path / "a.zarr")
    s2 = aqz.StreamSettings.from_dict(s.to_dict())
    s2.store_path = str(tmp_path / "b.zarr")
    one = ArraySpec(shape=(5, 3, 48, 64), chunks=(4, 1, 16, 16), shards=(2, 3, 3, 2), key="g/one",
                    codec=Codec("blosc-zstd", 3, 2))
    two = ArraySpec(shape=(48, 64), chunks=(16, 16), shards=(3, 2), key="two", dtype="float64",
                    codec=Codec("zstd", 7, 0), names=["y", "x"])
    d1 = random_data(one.shape, "uint16", seed=1)
    d2 = random_data(two.shape, "float64", seed=2)
    for settings, store in ((s, tmp_path / "a.zarr"), (s2, tmp_path / "b.zarr")):
        st = aqz.ZarrStream(settings)
        st.append(d1, key="g/one")
        st.append(d2, key="two")
        st.close()
        verify_array(store, one, "v2", d1)
        verify_array(store, two, "v2", d2)


def test_settings_from_published_dict(tmp_path):
    """A config dict as written by the published 0.10.0 wheel loads."""
    d = {
        "arrays": [{
            "compression": {"codec": "blosc-lz4", "compressor": "blosc1", "level": 1, "shuffle": 1},
            "data_type": "uint16",
            "dimensions": [
                {"array_size_px": 0, "chunk_size_px": 2, "name": "t", "scale": 1.0, "shard_size_chunks": 1, "type": "time", "unit": ""},
                {"array_size_px": 6, "chunk_size_px": 4, "name": "y", "scale": 1.0, "shard_size_chunks": 2, "type": "space", "unit": ""},
                {"array_size_px": 5, "chunk_size_px": 4, "name": "x", "scale": 0.5, "shard_size_chunks": 1, "type": "space", "unit": "micrometer"},
            ],
            "downsampling_method": "none", "is_ngff": False, "output_key": "a/b",
        }],
        "max_threads": 0, "overwrite": True, "store_path": str(tmp_path / "p.zarr"), "version": 2,
    }
    s = aqz.StreamSettings.from_dict(d)
    assert s.store_path == str(tmp_path / "p.zarr") and s.overwrite is True
    assert list(s.get_array_keys()) == ["a/b"]
    a = s.arrays[0]
    assert [x.name for x in a.dimensions] == ["t", "y", "x"]
    assert a.dimensions[2].unit == "micrometer" and a.dimensions[2].scale == 0.5
    assert a.dimensions[0].kind == aqz.DimensionType.TIME
    assert a.compression.codec == aqz.CompressionCodec.BLOSC_LZ4 and a.compression.shuffle == 1
    assert a.downsampling_method is None
    spec = ArraySpec(shape=(3, 6, 5), chunks=(2, 4, 4), shards=(1, 2, 1), key="a/b", codec=LZ4)
    data = random_data(spec.shape, "uint16")
    st = aqz.ZarrStream(s)
    st.append(data)
    st.close()
    verify_array(tmp_path / "p.zarr", spec, "v3", data)


def test_readme_single_array_shorthand(tmp_path, monkeypatch):
    """The README's single-array form: data_type/output_key/dimensions on
    StreamSettings (dimensions assigned after construction)."""
    monkeypatch.chdir(tmp_path)
    settings = aqz.StreamSettings(
        store_path="my_stream.zarr",
        data_type=aqz.DataType.UINT16,
        version=aqz.ZarrVersion.V3,
        output_key="dataset1",
        overwrite=True,
    )
    settings.dimensions = [
        aqz.Dimension(name="t", type=aqz.DimensionType.TIME, array_size_px=0, chunk_size_px=4, shard_size_chunks=2),
        aqz.Dimension(name="c", type=aqz.DimensionType.CHANNEL, array_size_px=3, chunk_size_px=1, shard_size_chunks=1),
        aqz.Dimension(name="y", type=aqz.DimensionType.SPACE, array_size_px=108, chunk_size_px=27, shard_size_chunks=2),
        aqz.Dimension(name="x", type=aqz.DimensionType.SPACE, array_size_px=192, chunk_size_px=48, shard_size_chunks=2),
    ]
    assert list(settings.get_array_keys()) == ["dataset1"]
    my_frame_data = np.random.default_rng(0).integers(0, 2**16, (3, 108, 192), dtype=np.uint16)
    stream = aqz.ZarrStream(settings)
    stream.append(my_frame_data)
    stream.close()
    spec = ArraySpec(shape=(1, 3, 108, 192), chunks=(4, 1, 27, 48), shards=(2, 1, 2, 2), key="dataset1")
    verify_array(tmp_path / "my_stream.zarr", spec, "v3", my_frame_data[None])


def test_shorthand_in_constructor(store, version):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4), dtype="float32", codec=LZ4)
    settings = aqz.StreamSettings(
        store_path=str(store), version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2,
        overwrite=True, data_type=np.float32, dimensions=spec.dimensions(), compression=LZ4.settings(),
    )
    assert list(settings.get_array_keys()) == [""]
    data = random_data(spec.shape, "float32")
    stream = aqz.ZarrStream(settings)
    stream.append(data)
    stream.close()
    verify_array(store, spec, version, data)


# --------------------------------------------------------------------------
# lifecycle
# --------------------------------------------------------------------------

SMALL = dict(shape=(3, 6, 5), chunks=(2, 4, 4), shards=(2, 2, 1), codec=LZ4)


def test_close_idempotent_and_is_active(store, version):
    spec = ArraySpec(**SMALL)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    assert stream.is_active() is True
    stream.append(data)
    assert stream.is_active() is True
    stream.close()
    assert stream.is_active() is False
    stream.close()
    stream.close()
    assert stream.is_active() is False
    verify_array(store, spec, version, data)


def test_context_manager(store, version):
    spec = ArraySpec(**SMALL)
    data = random_data(spec.shape, spec.dtype)
    with aqz.ZarrStream(stream_settings(store, spec, version)) as stream:
        assert stream.is_active()
        stream.append(data)
    assert not stream.is_active()
    stream.close()  # still a no-op
    verify_array(store, spec, version, data)


def test_context_manager_closes_on_exception(store, version):
    spec = ArraySpec(**SMALL)
    data = random_data(spec.shape, spec.dtype)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with aqz.ZarrStream(stream_settings(store, spec, version)) as stream:
            stream.append(data)
            raise Boom()
    assert not stream.is_active()
    verify_array(store, spec, version, data)


def test_close_reports_failed_write(tmp_path, version):
    """A write that fails (the array's directory replaced by a file, which
    fails even for root) is reported by append or close as RuntimeError; a
    second close() is a no-op."""
    store = tmp_path / "s.zarr"
    spec = ArraySpec(shape=(4, 6, 5), chunks=(2, 4, 4), key="a")
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    shutil.rmtree(store / "a", ignore_errors=True)
    (store / "a").write_text("not a directory")
    try:
        stream.append(random_data(spec.shape, spec.dtype))
    except RuntimeError:
        pass  # reporting it here already is fine; close() must still report it
    with pytest.raises(RuntimeError):
        stream.close()
    assert not stream.is_active()
    stream.close()  # second close does nothing


def test_failed_write_on_direct_path_keeps_earlier_layers(tmp_path):
    """Uncompressed v3 with big tiles writes frames straight into the shard
    files (no layer buffer), preparing the next layer's files one layer
    ahead. A failure there (a blocked directory) is reported by append, by
    every later append, and by close; the layers before stay readable."""
    store = tmp_path / "s.zarr"
    spec = ArraySpec(shape=(6, 64, 512), chunks=(2, 32, 256), key="a")
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, "v3"))
    stream.append(data[:2])  # layer 0 written; layer 1's files prepared
    # The third layer's shards go below c/2/: block that directory.
    blocker = store / "a" / "c" / "2"
    blocker.write_text("not a directory")
    with pytest.raises(RuntimeError, match="Not a directory"):
        stream.append(data[2:])  # layer 1 is fine, layer 2 cannot be
    with pytest.raises(RuntimeError, match="Not a directory"):
        stream.append(data[5:])
    with pytest.raises(RuntimeError, match="Not a directory"):
        stream.close()
    blocker.unlink()
    kept = ArraySpec(shape=(4, 64, 512), chunks=(2, 32, 256), key="a")
    verify_array(store, kept, "v3", data[:4])


@pytest.mark.parametrize("frames", [4, 5])
def test_direct_path_leaves_nothing_for_layers_that_never_came(tmp_path, frames):
    """Uncompressed v3 prepares the next layer's shard files ahead of time.
    A stream stopping at a layer boundary (4 frames = 2 layers) or inside
    one (5) leaves no file or directory for the layer that never came, and
    every shard ends exactly with its index (nothing reserved is left)."""
    store = tmp_path / "s.zarr"
    spec = ArraySpec(shape=(frames, 64, 512), chunks=(2, 32, 256), key="a")
    data = random_data(spec.shape, spec.dtype)
    with aqz.ZarrStream(stream_settings(store, spec, "v3")) as stream:
        stream.append(data)
    verify_array(store, spec, "v3", data)
    layers = -(-frames // 2)
    array = store / "a"
    directories = {p.relative_to(array).as_posix() for p in array.rglob("*") if p.is_dir()}
    assert directories == {"c"} | {f"c/{t}" for t in range(layers)} | {
        f"c/{t}/{y}" for t in range(layers) for y in range(2)}
    # One chunk per shard: the chunk (a partial last layer's missing frame
    # is a hole inside it), then a one-entry index.
    shard_bytes = 2 * 32 * 256 * 2 + 16 + 4
    shards = [p for p in array.rglob("*") if p.is_file() and p.name != "zarr.json"]
    assert len(shards) == layers * 4
    assert {p.stat().st_size for p in shards} == {shard_bytes}


def test_dropping_stream_without_close_flushes(store, version):
    spec = ArraySpec(**SMALL)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.append(data)
    del stream
    import gc

    gc.collect()
    verify_array(store, spec, version, data)


# --------------------------------------------------------------------------
# logging
# --------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR", "NONE"])
def test_log_level_set_get(level):
    aqz.set_log_level(getattr(aqz.LogLevel, level))
    assert aqz.get_log_level() == getattr(aqz.LogLevel, level)


def _bad_settings(store):
    """chunk_size_px = 0 on x."""
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 0))
    return stream_settings(store, spec, "v3")


def test_errors_not_printed_to_stderr_by_python(tmp_path, capfd):
    """The engine hands its lines to `logging` instead of stderr (see
    test_logging_stderr.py); the exception carries the message."""
    aqz.set_log_level(aqz.LogLevel.ERROR)
    capfd.readouterr()
    with pytest.raises(RuntimeError) as ei:
        aqz.ZarrStream(_bad_settings(tmp_path / "x.zarr"))
    err = capfd.readouterr().err
    assert "acquire-zarr:" not in err, f"engine line printed to stderr: {err!r}"
    assert re.search(r"chunk", str(ei.value), re.I), str(ei.value)


def test_errors_routed_to_python_logging(tmp_path, caplog):
    aqz.set_log_level(aqz.LogLevel.ERROR)
    with caplog.at_level(logging.DEBUG, logger="acquire_zarr"):
        with pytest.raises(RuntimeError):
            aqz.ZarrStream(_bad_settings(tmp_path / "x.zarr"))
    recs = [r for r in caplog.records if r.name.split(".")[0] == "acquire_zarr"]
    assert recs, "nothing logged to the 'acquire_zarr' logger"
    assert any(r.levelno >= logging.ERROR and re.search("chunk", r.getMessage(), re.I) for r in recs), [
        (r.levelname, r.getMessage()) for r in recs
    ]


def test_log_level_none_is_silent(tmp_path, capfd, caplog):
    aqz.set_log_level(aqz.LogLevel.NONE)
    capfd.readouterr()
    with caplog.at_level(logging.DEBUG, logger="acquire_zarr"):
        with pytest.raises(RuntimeError) as ei:
            aqz.ZarrStream(_bad_settings(tmp_path / "x.zarr"))
    assert re.search("chunk", str(ei.value), re.I), "the exception still carries the message"
    assert capfd.readouterr().err == ""
    assert not [r for r in caplog.records if r.name.split(".")[0] == "acquire_zarr"]


# --------------------------------------------------------------------------
# threads and memory
# --------------------------------------------------------------------------

THREADED = dict(shape=(16, 96, 80), chunks=(4, 16, 16), shards=(2, 2, 3), codec=Codec("blosc-zstd", 1, 1))


def _threaded_data():
    t, y, x = np.indices(THREADED["shape"])
    return ((t * 37 + y * 5 + x) % 4096).astype(np.uint16) + random_data(THREADED["shape"], "uint8", seed=9)


@pytest.mark.parametrize(
    "max_threads,env",
    [(1, None), (2, None), (7, None), (0, None), (0, "1"), (0, "3"), (2, "1")],
    ids=["mt1", "mt2", "mt7", "auto", "env1", "env3", "mt2-env1"],
)
def test_max_threads_output_identical(tmp_path, version, monkeypatch, max_threads, env):
    if env is None:
        monkeypatch.delenv("ZARR_MAX_THREADS", raising=False)
    else:
        monkeypatch.setenv("ZARR_MAX_THREADS", env)
    spec = ArraySpec(**THREADED)
    data = _threaded_data()
    ref_store = tmp_path / "ref.zarr"
    store = tmp_path / "out.zarr"
    write_arrays(ref_store, [(spec, data)], version, max_threads=1)
    st = aqz.ZarrStream(stream_settings(store, spec, version, max_threads=max_threads))
    for i in range(0, 16, 3):
        st.append(data[i : i + 3])
    st.close()
    verify_array(store, spec, version, data)
    assert array_meta(store, "", version) == array_meta(ref_store, "", version)


def test_maximum_memory_usage_estimate(store):
    small = ArraySpec(shape=(4, 64, 64), chunks=(2, 32, 32), codec=LZ4)
    big = ArraySpec(shape=(32, 512, 512), chunks=(16, 128, 128), shards=(2, 2, 2), codec=LZ4)
    est_small = stream_settings(store, small).get_maximum_memory_usage()
    est_big = stream_settings(store, big).get_maximum_memory_usage()
    assert isinstance(est_small, int) and est_small > 0
    # a compressed chunk must be held until its last frame arrives:
    # at least chunk_t whole frames of the array are buffered
    assert est_small >= 2 * 64 * 64 * 2
    assert est_big >= 16 * 512 * 512 * 2
    small.key = "a"
    est_both = stream_settings(store, [small, ArraySpec(**{**big.__dict__, "key": "b"})]).get_maximum_memory_usage()
    assert est_both >= est_big
    assert not store.exists(), "estimating must not touch the disk"


def test_maximum_memory_usage_without_store_path():
    """The published library estimates from the array settings alone (no
    store_path needed, e.g. to size a system before choosing a disk)."""
    spec = ArraySpec(shape=(4, 64, 64), chunks=(2, 32, 32), codec=LZ4)
    est = aqz.StreamSettings(arrays=[spec.settings()]).get_maximum_memory_usage()
    assert est >= 2 * 64 * 64 * 2


def test_current_memory_within_maximum(store, version):
    spec = ArraySpec(shape=(24, 256, 256), chunks=(4, 64, 64), shards=(2, 2, 2), codec=LZ4)
    settings = stream_settings(store, spec, version)
    maximum = settings.get_maximum_memory_usage()
    assert maximum > 0
    stream = aqz.ZarrStream(settings)
    data = _ramp(spec.shape)
    samples = [stream.get_current_memory_usage()]
    flat = data.reshape(-1)
    step = 256 * 256 // 2 + 7  # half frames, not aligned to anything
    for pos in range(0, flat.size, step):
        stream.append(flat[pos : pos + step])
        samples.append(stream.get_current_memory_usage())
    stream.close()
    assert all(isinstance(s, int) and 0 <= s <= maximum for s in samples), (maximum, samples)
    assert max(samples) > 0, "partial chunks are held in memory: usage should be > 0 at some point"
    verify_array(store, spec, version, data)


def _ramp(shape):
    t, y, x = np.indices(shape)
    return ((t * 131 + y * 3 + x) % 65521).astype(np.uint16)


def test_streams_in_parallel_python_threads(tmp_path, version):
    """Two streams fed from two Python threads at once (the GIL is released
    while the engine works): both outputs are complete and correct."""
    import threading

    spec = ArraySpec(shape=(12, 128, 96), chunks=(4, 32, 32), shards=(1, 2, 3), codec=LZ4)
    datas = [_ramp(spec.shape), (_ramp(spec.shape) * 3).astype(np.uint16)]
    errors = []

    def run(i):
        try:
            st = aqz.ZarrStream(stream_settings(tmp_path / f"s{i}.zarr", spec, version))
            for f in datas[i]:
                st.append(f)
            st.close()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "stream threads hung"
    assert not errors, errors
    for i in range(2):
        verify_array(tmp_path / f"s{i}.zarr", spec, version, datas[i])


def _thread_count() -> int:
    import os

    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/task"), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "max_threads,env,bound",
    [(1, None, 1), (3, None, 3), (0, "1", 1), (0, "2", 2), (2, "1", 2)],
    ids=["mt1", "mt3", "env1", "env2", "mt2-beats-env1"],
)
def test_max_threads_bounds_engine_threads(store, monkeypatch, max_threads, env, bound):
    """While a stream is active it runs at most max_threads (or
    $ZARR_MAX_THREADS when max_threads is 0) threads of its own."""
    if env is None:
        monkeypatch.delenv("ZARR_MAX_THREADS", raising=False)
    else:
        monkeypatch.setenv("ZARR_MAX_THREADS", env)
    spec = ArraySpec(shape=(8, 64, 64), chunks=(1, 16, 16), codec=LZ4)
    base = _thread_count()
    stream = aqz.ZarrStream(stream_settings(store, spec, "v3", max_threads=max_threads))
    data = _ramp(spec.shape)
    peak = 0
    for f in data:
        stream.append(f)
        peak = max(peak, _thread_count() - base)
    stream.close()
    assert peak <= bound, f"{peak} engine threads with max_threads={max_threads}, ZARR_MAX_THREADS={env}"
    verify_array(store, spec, "v3", data)
