"""append(): any number of bytes per call, joined across calls; skip();
numpy views in logical order; dtype checking; non-numpy buffers."""

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import (
    LZ4,
    ZSTD,
    ArraySpec,
    random_data,
    stream_settings,
    verify_array,
)

SPEC = dict(shape=(6, 6, 5), chunks=(2, 4, 4), shards=(2, 1, 2), dtype="uint16", codec=LZ4)


def _stream(store, spec, version, **kw):
    return aqz.ZarrStream(stream_settings(store, spec, version, **kw))


def _split(buf: bytes, cuts):
    edges = [0, *cuts, len(buf)]
    return [buf[a:b] for a, b in zip(edges, edges[1:])]


@pytest.mark.parametrize(
    "cuts",
    [
        # odd byte counts, pieces straddling frame (60 B) and chunk boundaries
        [1, 8, 21, 59, 61, 137, 239, 240, 241, 301],
        # one byte short of a frame, then the byte, then 3.5 frames, then the rest
        [59, 60, 270],
        # every byte on its own for the first frame and a half
        list(range(1, 91)),
    ],
    ids=["odd-pieces", "frame-minus-one", "byte-by-byte"],
)
@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview"])
def test_partial_frames_as_buffers(store, version, cuts, kind):
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=1)
    wrap = {"bytes": bytes, "bytearray": bytearray, "memoryview": lambda b: memoryview(bytes(b))}[kind]
    stream = _stream(store, spec, version)
    for piece in _split(data.tobytes(), cuts):
        stream.append(wrap(piece))
    stream.close()
    verify_array(store, spec, version, data)


@pytest.mark.parametrize(
    "counts",
    [
        [6],  # all frames in one call
        [1, 1, 1, 1, 1, 1],  # one frame per call
        [2, 3, 1],  # several frames per call
        [0.5, 1.5, 2.25, 1.75],  # fractions of frames joined across calls
    ],
    ids=["all-at-once", "one-per-call", "several-per-call", "fractional"],
)
def test_numpy_pieces(store, version, counts):
    """Pieces are numpy arrays of the array's dtype, 3-D (whole frames) or
    1-D (any number of elements)."""
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=2)
    stream = _stream(store, spec, version)
    px = 30  # pixels per frame
    pos = 0
    for c in counts:
        n = int(round(c * px))
        if c == int(c):
            stream.append(data[pos // px : pos // px + int(c)])
        else:
            stream.append(data.reshape(-1)[pos : pos + n])
        pos += n
    assert pos == data.size
    stream.close()
    verify_array(store, spec, version, data)


def test_single_2d_frames(store, version):
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=3)
    stream = _stream(store, spec, version)
    for frame in data:
        assert frame.shape == (6, 5)
        stream.append(frame)
    stream.close()
    verify_array(store, spec, version, data)


VIEWS = {
    "transposed": lambda a: np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1),
    "fortran": lambda a: np.asfortranarray(a),
    "strided-slice": lambda a: np.repeat(np.repeat(a, 2, axis=1), 3, axis=2)[:, ::2, ::3],
    "reversed": lambda a: a[::-1, ::-1, ::-1].copy()[::-1, ::-1, ::-1],
    "every-other-frame": lambda a: np.stack([a, a + 1], axis=1).reshape(-1, *a.shape[1:])[::2],
    "non-contiguous-rows": lambda a: np.concatenate([a, a], axis=2)[:, :, :5],
}


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_numpy_views_written_in_logical_order(store, version, view):
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=4)
    v = VIEWS[view](data)
    assert not v.flags.c_contiguous, "test setup: view should not be C-contiguous"
    np.testing.assert_array_equal(v, data)
    stream = _stream(store, spec, version)
    stream.append(v)
    stream.close()
    verify_array(store, spec, version, data)


def test_transposed_frame_is_the_transpose(store, version):
    """A transposed 2-D view is written as the transposed image, not as the
    underlying memory."""
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    base = np.arange(30, dtype=np.uint16).reshape(5, 6)
    stream = _stream(store, spec, version)
    stream.append(base.T)
    stream.close()
    verify_array(store, spec, version, base.T[None])


@pytest.mark.parametrize(
    "array_dtype,bad",
    [
        # (uint8 is raw bytes for every data type: see test_raw_uint8.py)
        ("uint16", "int8"),
        ("uint16", "int16"),
        ("uint16", "float32"),
        ("float32", "float64"),
        ("int64", "uint64"),
        ("uint8", "int8"),
    ],
)
def test_wrong_dtype_is_type_error(store, version, array_dtype, bad):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4), dtype=array_dtype)
    good = random_data(spec.shape, array_dtype, seed=5)
    stream = _stream(store, spec, version)
    with pytest.raises(TypeError):
        stream.append(np.ones(spec.shape, dtype=bad))
    # the refused data was not written: the stream continues from frame 0
    stream.append(good)
    stream.close()
    verify_array(store, spec, version, good)


def test_wrong_dtype_with_key(store, version):
    a = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4), dtype="uint16", key="a")
    b = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4), dtype="float32", key="b")
    stream = aqz.ZarrStream(stream_settings(store, [a, b], version))
    da = random_data(a.shape, "uint16")
    db = random_data(b.shape, "float32")
    with pytest.raises(TypeError):
        stream.append(da, key="b")
    with pytest.raises(TypeError):
        stream.append(db, key="a")
    stream.append(da, key="a")
    stream.append(db, key="b")
    stream.close()
    verify_array(store, a, version, da)
    verify_array(store, b, version, db)


@pytest.mark.parametrize(
    "ops",
    [
        # (op, n_bytes): frames are 60 bytes
        [("append", 60), ("skip", 60), ("append", 60), ("skip", 120), ("append", 60)],
        [("skip", 360)],  # everything dropped
        [("append", 30), ("skip", 45), ("append", 7), ("skip", 1), ("append", 277)],
        [("skip", 1), ("append", 359)],
    ],
    ids=["whole-frames", "all-skipped", "odd-pieces", "skip-first-byte"],
)
def test_skip_writes_zeros(store, version, ops):
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=6)
    src = data.tobytes()
    expected = bytearray(len(src))
    stream = _stream(store, spec, version)
    pos = 0
    for op, n in ops:
        if op == "append":
            stream.append(src[pos : pos + n])
            expected[pos : pos + n] = src[pos : pos + n]
        else:
            stream.skip(n)
        pos += n
    assert pos == len(src)
    stream.close()
    exp = np.frombuffer(bytes(expected), dtype=spec.np_dtype).reshape(spec.shape)
    verify_array(store, spec, version, exp)


def test_skip_with_key(store, version):
    a = ArraySpec(shape=(3, 6, 5), chunks=(2, 4, 4), key="a", codec=ZSTD)
    b = ArraySpec(shape=(2, 4, 4), chunks=(1, 4, 4), key="g/b", dtype="int32")
    da = random_data(a.shape, a.dtype, seed=7)
    db = random_data(b.shape, b.dtype, seed=8)
    stream = aqz.ZarrStream(stream_settings(store, [a, b], version))
    stream.append(da[0], key="a")
    stream.skip(b.frame_nbytes, key="g/b")
    stream.skip(a.frame_nbytes, key="a")
    stream.append(db[1], key="g/b")
    stream.append(da[2], key="a")
    stream.close()
    ea = da.copy()
    ea[1] = 0
    eb = db.copy()
    eb[0] = 0
    verify_array(store, a, version, ea)
    verify_array(store, b, version, eb)


def test_append_after_close_raises(store, version):
    spec = ArraySpec(**SPEC)
    stream = _stream(store, spec, version)
    stream.append(np.ones((1, 6, 5), np.uint16))
    stream.close()
    with pytest.raises(RuntimeError):
        stream.append(np.ones((1, 6, 5), np.uint16))
    verify_array(store, ArraySpec(**{**SPEC, "shape": (1, 6, 5)}), version, np.ones((1, 6, 5), np.uint16))


def test_empty_appends_are_noops(store, version):
    spec = ArraySpec(**SPEC)
    data = random_data(spec.shape, spec.dtype, seed=9)
    stream = _stream(store, spec, version)
    stream.append(np.empty(0, np.uint16))
    stream.append(b"")
    stream.append(data[:3])
    stream.append(np.empty((0, 6, 5), np.uint16))
    stream.skip(0)
    stream.append(data[3:])
    stream.close()
    verify_array(store, spec, version, data)


def test_non_native_byte_order_never_garbled(store, version):
    """A big-endian uint16 array is either refused (TypeError: not the
    array's dtype) or converted; its bytes are never written as-is."""
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4))
    data = random_data(spec.shape, spec.dtype, seed=10)
    stream = _stream(store, spec, version)
    try:
        stream.append(data.astype(">u2"))
    except TypeError:
        stream.append(data)
    stream.close()
    verify_array(store, spec, version, data)


def test_odd_sized_uint8_frames_in_pieces(store, version):
    """3x5 uint8 frames (15 bytes, odd) appended 7 bytes at a time."""
    spec = ArraySpec(shape=(9, 3, 5), chunks=(4, 2, 2), shards=(1, 2, 3), dtype="uint8", codec=LZ4)
    data = random_data(spec.shape, "uint8", seed=12)
    buf = data.tobytes()
    stream = _stream(store, spec, version)
    for i in range(0, len(buf), 7):
        stream.append(buf[i : i + 7])
    stream.close()
    verify_array(store, spec, version, data)


def test_single_image_row_by_row(store, version):
    """A 2-D (single image) array appended one row at a time."""
    spec = ArraySpec(shape=(13, 17), chunks=(4, 8), shards=(2, 2), dtype="int32", codec=ZSTD)
    data = random_data(spec.shape, "int32", seed=13)
    stream = _stream(store, spec, version)
    for row in data:
        stream.append(row)
    stream.close()
    verify_array(store, spec, version, data)
