"""Error paths: invalid settings refused at creation (message names the field
and value, nothing on disk), wrong Python types, bounded overflow,
unwritable stores, and features of later issues (temporary)."""

import contextlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import (
    LZ4,
    ArraySpec,
    array_meta,
    read_tensorstore,
    read_zarr,
    random_data,
    stream_settings,
    tree_snapshot,
    verify_array,
    write_arrays,
    zarr_version,
)

S, C, T, O = (
    aqz.DimensionType.SPACE,
    aqz.DimensionType.CHANNEL,
    aqz.DimensionType.TIME,
    aqz.DimensionType.OTHER,
)


def _dim(name, kind, size, chunk, shard=1, **kw):
    return dict(name=name, kind=kind, array_size_px=size, chunk_size_px=chunk, shard_size_chunks=shard, **kw)


def _base(store, version):
    """Plain-Python description of a valid stream; cases mutate it."""
    return {
        "store_path": str(store),
        "version": version,
        "overwrite": True,
        "arrays": [
            {
                "output_key": "a",
                "data_type": aqz.DataType.UINT16,
                "compression": None,
                "dims": [_dim("t", T, 0, 2), _dim("y", S, 6, 4, 2), _dim("x", S, 5, 4)],
            }
        ],
    }


def _build(cfg):
    arrays = []
    for a in cfg["arrays"]:
        kw = dict(
            output_key=a["output_key"],
            data_type=a["data_type"],
            dimensions=[aqz.Dimension(**d) for d in a["dims"]],
        )
        if a["compression"] is not None:
            kw["compression"] = aqz.CompressionSettings(**a["compression"])
        arrays.append(aqz.ArraySettings(**kw))
    return aqz.StreamSettings(
        store_path=cfg["store_path"],
        version=zarr_version(cfg["version"]),
        overwrite=cfg["overwrite"],
        arrays=arrays,
    )


def _arr(cfg, i=0):
    return cfg["arrays"][i]


def _set_dim(i, **kw):
    def f(cfg):
        _arr(cfg)["dims"][i].update(kw)
    return f


def _set_key(key):
    def f(cfg):
        _arr(cfg)["output_key"] = key
    return f


def _two_keys(k1, k2):
    def f(cfg):
        import copy

        second = copy.deepcopy(_arr(cfg))
        _arr(cfg)["output_key"] = k1
        second["output_key"] = k2
        cfg["arrays"].append(second)
    return f


def _compression(compressor, codec, level=1, shuffle=1):
    def f(cfg):
        _arr(cfg)["compression"] = dict(
            compressor=getattr(aqz.Compressor, compressor),
            codec=getattr(aqz.CompressionCodec, codec),
            level=level,
            shuffle=shuffle,
        )
    return f


def _dims(*dims):
    def f(cfg):
        _arr(cfg)["dims"] = list(dims)
    return f


def _store_path(p):
    def f(cfg):
        cfg["store_path"] = p
    return f


def _no_arrays(cfg):
    cfg["arrays"] = []


# (id, mutation, regex the message must match, value the message must contain, versions)
INVALID = [
    ("no-arrays", _no_arrays, r"array", None, "both"),
    ("no-dimensions", _dims(), r"dimension", None, "both"),
    ("one-dimension", _dims(_dim("x", S, 5, 4)), r"dimension", None, "both"),
    ("chunk-0-x", _set_dim(2, chunk_size_px=0), r"chunk_size_px", "0", "both"),
    ("chunk-0-t", _set_dim(0, chunk_size_px=0), r"chunk_size_px", "0", "both"),
    ("shard-0-v3", _set_dim(1, shard_size_chunks=0), r"shard_size_chunks", "0", "v3"),
    ("array-size-0-y", _set_dim(1, array_size_px=0), r"array_size_px", "y", "both"),
    ("array-size-0-x", _set_dim(2, array_size_px=0), r"array_size_px", "x", "both"),
    ("array-size-0-channel",
     _dims(_dim("t", T, 0, 1), _dim("c", C, 0, 1), _dim("y", S, 6, 4), _dim("x", S, 5, 4)),
     r"array_size_px", "c", "both"),
    ("2d-unbounded-y", _dims(_dim("y", S, 0, 4), _dim("x", S, 5, 4)), r"array_size_px", None, "both"),
    ("y-not-space", _set_dim(1, kind=C), r"space", None, "both"),
    ("x-not-space", _set_dim(2, kind=T), r"space", None, "both"),
    ("x-other", _set_dim(2, kind=O), r"space", None, "both"),
    ("empty-dimension-name", _set_dim(0, name=""), r"name", None, "both"),
    ("negative-scale", _set_dim(2, scale=-1.0), r"scale", "-1", "both"),
    ("zero-scale", _set_dim(2, scale=0.0), r"scale", "0", "both"),
    ("nan-scale", _set_dim(2, scale=float("nan")), r"scale", None, "both"),
    ("key-space", _set_key("a b"), r"output_key", "a b", "both"),
    ("key-star", _set_key("a*b"), r"output_key", "a*b", "both"),
    ("key-backslash", _set_key("a\\b"), r"output_key", "a\\b", "both"),
    ("key-colon", _set_key("g:b"), r"output_key", "g:b", "both"),
    ("key-dotdot", _set_key(".."), r"output_key", "..", "both"),
    ("key-dotdot-inner", _set_key("g/../b"), r"output_key", "g/../b", "both"),
    ("key-dunder", _set_key("__x"), r"output_key", "__x", "both"),
    ("key-dunder-inner", _set_key("g/__x"), r"output_key", "g/__x", "both"),
    ("duplicate-keys", _two_keys("dup", "dup"), r"output_key", "dup", "both"),
    ("duplicate-root", _two_keys("", ""), r"output_key", None, "both"),
    ("array-under-array", _two_keys("p", "p/q"), r"output_key", "p", "both"),
    ("root-array-with-sibling", _two_keys("", "b"), r"output_key", None, "both"),
    ("blosc1-with-zstd-codec", _compression("BLOSC1", "ZSTD"), r"codec", None, "both"),
    ("zstd-with-blosc-lz4", _compression("ZSTD", "BLOSC_LZ4", shuffle=0), r"codec", None, "both"),
    ("zstd-with-blosc-zstd", _compression("ZSTD", "BLOSC_ZSTD", shuffle=0), r"codec", None, "both"),
    ("blosc1-without-codec", _compression("BLOSC1", "NONE"), r"codec", None, "both"),
    ("blosc-level-10", _compression("BLOSC1", "BLOSC_LZ4", level=10), r"level", "10", "both"),
    ("zstd-level-0", _compression("ZSTD", "ZSTD", level=0, shuffle=0), r"level", "0", "both"),
    ("zstd-level-23", _compression("ZSTD", "ZSTD", level=23, shuffle=0), r"level", "23", "both"),
    ("shuffle-3", _compression("BLOSC1", "BLOSC_ZSTD", shuffle=3), r"shuffle", "3", "both"),
    ("empty-store-path", _store_path(""), r"store_path", None, "both"),
]

INVALID_PARAMS = [
    pytest.param(mut, rx, val, v, id=f"{name}-{v}")
    for name, mut, rx, val, versions in INVALID
    for v in (["v2", "v3"] if versions == "both" else [versions])
]


@pytest.mark.parametrize("mutate,field_rx,value,version", INVALID_PARAMS)
def test_invalid_settings_refused(tmp_path, monkeypatch, mutate, field_rx, value, version):
    monkeypatch.chdir(tmp_path)  # an empty store_path must not touch the cwd either
    store = tmp_path / "bad.zarr"
    cfg = _base(store, version)
    mutate(cfg)
    # Refused by ZarrStream(); refusing earlier, when the settings object is
    # built, is accepted as long as it is the same kind of error.
    with pytest.raises(RuntimeError) as ei:
        aqz.ZarrStream(_build(cfg))
    msg = str(ei.value)
    assert re.search(field_rx, msg, re.I), f"message does not name the field ({field_rx}): {msg!r}"
    if value is not None:
        assert value in msg, f"message does not name the value {value!r}: {msg!r}"
    assert list(tmp_path.iterdir()) == [], f"created on disk: {list(tmp_path.rglob('*'))}"


def test_shard_zero_is_ignored_in_v2(store):
    spec = ArraySpec(shape=(3, 6, 5), chunks=(2, 4, 4), shards=(0, 0, 0), codec=LZ4)
    data = random_data(spec.shape, spec.dtype)
    write_arrays(store, [(spec, data)], "v2")
    verify_array(store, spec, "v2", data)


def test_invalid_settings_keep_existing_store(store, version):
    """Validation happens before overwrite=True removes anything."""
    spec = ArraySpec(shape=(3, 6, 5), chunks=(2, 4, 4), key="a", codec=LZ4)
    data = random_data(spec.shape, spec.dtype)
    write_arrays(store, [(spec, data)], version)
    before = tree_snapshot(store)
    cfg = _base(store, version)
    _set_dim(2, chunk_size_px=0)(cfg)
    with pytest.raises(RuntimeError):
        aqz.ZarrStream(_build(cfg))
    assert tree_snapshot(store) == before
    verify_array(store, spec, version, data)


def test_runtime_error_may_also_be_value_error(tmp_path):
    cfg = _base(tmp_path / "x.zarr", "v3")
    _set_dim(2, chunk_size_px=0)(cfg)
    with pytest.raises(Exception) as ei:
        aqz.ZarrStream(_build(cfg))
    # code written for the published library catches RuntimeError
    assert isinstance(ei.value, RuntimeError), type(ei.value).__mro__


# --------------------------------------------------------------------------
# wrong Python types
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: aqz.Dimension(name="x", kind=S, array_size_px="many", chunk_size_px=1),
        lambda: aqz.Dimension(name=5, kind=S, array_size_px=1, chunk_size_px=1),
        lambda: aqz.StreamSettings(store_path=3),
        lambda: aqz.StreamSettings(arrays="a"),
        lambda: aqz.ArraySettings(dimensions=[1, 2, 3]),
        lambda: aqz.ZarrStream("not settings"),
    ],
    ids=["size-str", "name-int", "store-int", "arrays-str", "dims-ints", "stream-str"],
)
def test_wrong_python_types(make):
    with pytest.raises(TypeError):
        make()


@pytest.mark.parametrize("dtype", [np.complex64, "U4", object, "bool", "float16"])
def test_unsupported_data_type(tmp_path, dtype):
    """Refused when set (TypeError/ValueError) or at creation (RuntimeError
    naming the data type)."""
    with pytest.raises((TypeError, ValueError, RuntimeError)) as ei:
        a = aqz.ArraySettings(
            data_type=dtype,
            dimensions=[aqz.Dimension(**d) for d in _base(tmp_path, "v3")["arrays"][0]["dims"]],
        )
        aqz.ZarrStream(aqz.StreamSettings(store_path=str(tmp_path / "x.zarr"), arrays=[a]))
    if not isinstance(ei.value, (TypeError, ValueError)):
        assert re.search(r"type", str(ei.value), re.I), str(ei.value)
    assert not (tmp_path / "x.zarr").exists()


@pytest.mark.parametrize(
    "bad", [42, "text", [1, 2, 3], None, 3.5], ids=["int", "str", "list", "None", "float"]
)
def test_append_non_buffer_is_type_error(store, bad):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    stream = aqz.ZarrStream(stream_settings(store, spec, "v3"))
    with pytest.raises(TypeError):
        stream.append(bad)
    stream.append(np.full(spec.frame_shape, 5, np.uint16))
    stream.close()
    verify_array(store, spec, "v3", np.full(spec.shape, 5, np.uint16))


def test_custom_metadata_wrong_type(store):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    stream = aqz.ZarrStream(stream_settings(store, spec, "v3"))
    with pytest.raises(TypeError):
        stream.write_custom_metadata(123)
    stream.close()


# --------------------------------------------------------------------------
# bounded arrays: writing past the end
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first,second",
    [(4, 1), (3, 2), (0, 5), (4, 0.5)],
    ids=["full-then-one", "straddle", "too-many-at-once", "full-then-half-frame"],
)
def test_append_past_bounded_end(store, version, first, second):
    spec = ArraySpec(shape=(4, 6, 5), chunks=(3, 4, 4), shards=(2, 2, 1), dim0_size=4, codec=LZ4)
    data = random_data((5, 6, 5), spec.dtype, seed=3)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    if first:
        stream.append(data[:first])
    extra = data[first : first + int(np.ceil(second))].reshape(-1)
    extra = extra[: int(second * 30)]
    with pytest.raises(RuntimeError):
        stream.append(extra)
    with pytest.raises(RuntimeError):
        stream.append(np.ones((5, 6, 5), np.uint16))  # still refused
    with contextlib.suppress(RuntimeError):
        stream.close()
    assert not stream.is_active()
    if first == 4:
        verify_array(store, spec, version, data[:4])
    else:
        # the frames written before the refused append are intact
        got_shape = tuple(array_meta(store, "", version)["shape"])
        assert got_shape[1:] == (6, 5) and first <= got_shape[0] <= 4, got_shape
        for reader in (read_zarr, read_tensorstore):
            got = reader(store, "", version)
            np.testing.assert_array_equal(got[:first], data[:first])


def test_skip_past_bounded_end(store, version):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4), dim0_size=2)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.append(data)
    with pytest.raises(RuntimeError):
        stream.skip(60)
    with contextlib.suppress(RuntimeError):
        stream.close()
    verify_array(store, spec, version, data)


def test_bounded_4d_overflow(store, version):
    spec = ArraySpec(shape=(2, 3, 6, 5), chunks=(1, 2, 4, 4), dim0_size=2, codec=LZ4)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.append(data)
    with pytest.raises(RuntimeError):
        stream.append(data[0, 0])
    with contextlib.suppress(RuntimeError):
        stream.close()
    verify_array(store, spec, version, data)


def test_bounded_2d_single_image_overflow(store, version):
    spec = ArraySpec(shape=(9, 7), chunks=(4, 4), codec=LZ4)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.append(data)
    with pytest.raises(RuntimeError):
        stream.append(data[:1])
    with contextlib.suppress(RuntimeError):
        stream.close()
    verify_array(store, spec, version, data)


# --------------------------------------------------------------------------
# unwritable store locations
# --------------------------------------------------------------------------


_CHILD = r"""
import json, os, sys
sys.path.insert(0, sys.argv[3])
import acquire_zarr as aqz
from conftest import ArraySpec, stream_settings
store, version = sys.argv[1], sys.argv[2]
try:
    aqz.ZarrStream(stream_settings(store, ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4)), version))
    out = {"raised": None, "msg": ""}
except BaseException as e:
    out = {"raised": [c.__name__ for c in type(e).__mro__], "msg": str(e)}
out["exists"] = os.path.exists(store)
print(json.dumps(out))
"""


def _drop_dac_capabilities():
    """preexec_fn: remove CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH from the
    bounding set, so the exec'ed root process honours directory permissions."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP = 24
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(77)


def test_parent_not_writable(tmp_path, version):
    """The store's parent directory is read-only (0o500).  Root ignores
    directory permissions, so as root the attempt runs in a child process
    without the DAC-override capabilities."""
    import json
    import subprocess
    import sys

    parent = tmp_path / "ro"
    parent.mkdir()
    store = parent / "x.zarr"
    parent.chmod(0o500)
    try:
        if os.geteuid() != 0:
            with pytest.raises(RuntimeError) as ei:
                aqz.ZarrStream(stream_settings(store, ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4)), version))
            raised, msg = [c.__name__ for c in type(ei.value).__mro__], str(ei.value)
        else:
            cmd = [sys.executable, "-c", _CHILD, str(store), version, str(Path(__file__).parent)]
            if shutil.which("setpriv"):
                cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] + cmd
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                if r.returncode != 0 and "setpriv:" in r.stderr:
                    pytest.skip(f"root, and cannot drop CAP_DAC_OVERRIDE here: {r.stderr}")
            else:
                r = subprocess.run(cmd, preexec_fn=_drop_dac_capabilities, capture_output=True,
                                   text=True, timeout=120)
            if r.returncode == 77:
                pytest.skip("root, and cannot drop CAP_DAC_OVERRIDE here")
            assert r.returncode == 0, r.stderr[-2000:]
            out = json.loads(r.stdout.strip().splitlines()[-1])
            raised, msg = out["raised"], out["msg"]
        assert raised is not None, "stream created in a read-only directory"
        assert "RuntimeError" in raised, raised
        assert str(parent) in msg, f"message should name the path: {msg}"
        assert re.search(r"permission|not writable|read-only", msg, re.I), msg
        assert not store.exists()
    finally:
        parent.chmod(0o700)


@pytest.mark.parametrize("overwrite", [True, False])
def test_parent_is_a_file(tmp_path, version, overwrite):
    """Fails even for root: a path component is a regular file."""
    f = tmp_path / "plain-file"
    f.write_text("x")
    store = f / "x.zarr"
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    with pytest.raises(RuntimeError) as ei:
        aqz.ZarrStream(stream_settings(store, spec, version, overwrite=overwrite))
    assert str(f) in str(ei.value), f"message should name the path: {ei.value}"
    assert f.read_text() == "x"


def test_store_path_is_a_file_without_overwrite(tmp_path, version):
    f = tmp_path / "x.zarr"
    f.write_text("x")
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    with pytest.raises(RuntimeError):
        aqz.ZarrStream(stream_settings(f, spec, version, overwrite=False))
    assert f.read_text() == "x"
