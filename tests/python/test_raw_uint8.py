"""append(): a numpy uint8 array is raw bytes for every data type.

Camera SDKs hand frames over as ``numpy.frombuffer(buffer, numpy.uint8)``;
like ``bytes`` and ``memoryview`` such an array is taken byte for byte,
whatever the array's data type, and in its logical C order when it is a
view. Any other mismatched dtype is still a TypeError whose hint tells
``.astype()`` (converts the values) from ``.view()`` (reinterprets bytes).
"""

import re

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import LZ4, ArraySpec, random_data, stream_settings, verify_array

# Chunks within the array, shards of more than one chunk, an odd frame width.
GEOMETRY = dict(shape=(4, 6, 5), chunks=(2, 3, 5), shards=(1, 2, 1))


def _spec(dtype, **kw):
    return ArraySpec(**{**GEOMETRY, "dtype": dtype, **kw})


def _stream(store, spec, version):
    return aqz.ZarrStream(stream_settings(store, spec, version))


@pytest.mark.parametrize("dtype", ["uint16", "float32", "int64"])
def test_uint8_frames_are_raw_bytes(store, version, dtype):
    spec = _spec(dtype, codec=LZ4)
    data = random_data(spec.shape, dtype, seed=21)
    raw = data.tobytes()
    stream = _stream(store, spec, version)
    for i in range(spec.n_frames):
        frame = raw[i * spec.frame_nbytes : (i + 1) * spec.frame_nbytes]
        stream.append(np.frombuffer(frame, np.uint8))  # as a camera SDK gives it
    stream.close()
    expected = np.frombuffer(raw, dtype).reshape(spec.shape)
    verify_array(store, spec, version, expected)


@pytest.mark.parametrize("dtype", ["uint16", "float32", "int64"])
def test_partial_frames_as_uint8(store, version, dtype):
    """Pieces that split pixels and frames anywhere are joined across calls."""
    spec = _spec(dtype)
    data = random_data(spec.shape, dtype, seed=22)
    buffer = np.frombuffer(data.tobytes(), np.uint8)
    cuts = [0, 1, 7, spec.frame_nbytes - 1, spec.frame_nbytes + 3, 2 * spec.frame_nbytes + 5]
    cuts += [len(buffer)]
    stream = _stream(store, spec, version)
    for a, b in zip(cuts, cuts[1:]):
        stream.append(buffer[a:b])
    stream.close()
    verify_array(store, spec, version, np.frombuffer(data.tobytes(), dtype).reshape(spec.shape))


def test_uint8_shaped_like_the_frames(store, version):
    """A 2-D or 3-D uint8 array of raw bytes (rows of bytes, not pixels)."""
    spec = _spec("uint16")
    data = random_data(spec.shape, "uint16", seed=23)
    raw = np.frombuffer(data.tobytes(), np.uint8).reshape(spec.n_frames, 6, 10)
    stream = _stream(store, spec, version)
    stream.append(raw[:1].reshape(6, 10))
    stream.append(raw[1:])
    stream.close()
    verify_array(store, spec, version, data)


@pytest.mark.parametrize(
    "base_shape,make_view",
    [
        ((24, 10), lambda a: a.T),  # transposed
        ((24, 20), lambda a: a[:, ::2]),  # strided
        ((24, 10), lambda a: a[::-1]),  # negative stride
    ],
    ids=["transposed", "strided", "reversed"],
)
def test_non_contiguous_uint8_written_in_logical_order(store, version, base_shape, make_view):
    spec = _spec("uint16")
    base = np.random.default_rng(24).integers(0, 256, size=base_shape, dtype=np.uint8)
    view = make_view(base)
    assert view.size == spec.n_frames * spec.frame_nbytes
    assert not view.flags.c_contiguous
    stream = _stream(store, spec, version)
    stream.append(view)
    stream.close()
    logical = np.ascontiguousarray(view).tobytes()  # C order of the view
    verify_array(store, spec, version, np.frombuffer(logical, np.uint16).reshape(spec.shape))


def test_uint8_scalar_is_one_byte(store, version):
    spec = _spec("uint16", shape=(1, 6, 5))
    data = random_data(spec.shape, "uint16", seed=25)
    raw = data.tobytes()
    stream = _stream(store, spec, version)
    stream.append(np.uint8(raw[0]))
    stream.append(np.frombuffer(raw[1:], np.uint8))
    stream.close()
    verify_array(store, spec, version, data)


@pytest.mark.parametrize(
    "array_dtype,bad",
    [("uint16", "float64"), ("uint16", "int8"), ("float32", "int32"), ("int64", "bool")],
)
def test_other_dtypes_still_refused(store, version, array_dtype, bad):
    spec = _spec(array_dtype)
    stream = _stream(store, spec, version)
    with pytest.raises(TypeError):
        stream.append(np.zeros(spec.shape, dtype=bad))
    data = random_data(spec.shape, array_dtype, seed=26)
    stream.append(data)  # nothing of the refused data was written
    stream.close()
    verify_array(store, spec, version, data)


def test_type_error_hint_tells_astype_from_view(store):
    spec = _spec("uint16")
    stream = _stream(store, spec, "v3")
    with pytest.raises(TypeError) as ei:
        stream.append(np.zeros(spec.shape, np.float64))
    stream.close()
    message = str(ei.value)
    assert "uint16" in message and "float64" in message, message
    # .astype() converts the values into the array's type...
    assert re.search(r"convert[^.;]*values[^;]*\.astype\(numpy\.uint16\)", message), message
    # ...while .view() reinterprets bytes that already are uint16 pixels.
    assert re.search(r"reinterpret[^;]*\.view\(numpy\.uint16\)", message), message
    assert "uint8" in message, "raw bytes as a uint8 array are the other way in"


def test_type_error_names_the_key(store):
    a = ArraySpec(shape=(1, 6, 5), chunks=(1, 3, 5), dtype="uint16", key="a")
    b = ArraySpec(shape=(1, 6, 5), chunks=(1, 3, 5), dtype="float32", key="b")
    stream = aqz.ZarrStream(stream_settings(store, [a, b], "v3"))
    with pytest.raises(TypeError, match=r"array 'b' has data type float32.*\.astype\(numpy\.float32\)"):
        stream.append(np.zeros((6, 5), np.float64), key="b")
    # uint8 raw bytes go to either array
    da = random_data(a.shape, "uint16", seed=27)
    db = random_data(b.shape, "float32", seed=28)
    stream.append(np.frombuffer(da.tobytes(), np.uint8), key="a")
    stream.append(np.frombuffer(db.tobytes(), np.uint8), key="b")
    stream.close()
    verify_array(store, a, "v3", da)
    verify_array(store, b, "v3", db)
