"""Pyramids: level count and shapes, the four downsampling methods over every
data type, integer MEAN rounding (ties to even) without overflow, Z
downsampling (2x2x2, 1x1x2, odd last plane), max_levels, codecs, v2/v3,
streams appended in pieces and stopped early, memory accounting.

Every level is read back with zarr-python and TensorStore (and its chunks
decoded by hand) against the numpy reference in pyramid_reference.py."""

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import BZSTD, DTYPES, LZ4, NONE, ZSTD, random_data
from pyramid_reference import METHODS, Image, downsample_step, level_data_shape, plan_levels

INT_DTYPES = [d for d in DTYPES if not d.startswith("float")]


def pyramid_data(shape, dtype, seed=0):
    """Integers over the whole range (with min and max); finite floats."""
    dt = np.dtype(dtype)
    if dt.kind in "ui":
        return random_data(shape, dtype, seed)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(size=shape) * 1e3
    a.reshape(-1)[::7] *= 1e-6
    return a.astype(dt)


def smooth_data(shape, dtype="uint16", seed=0):
    idx = np.indices(shape)
    v = sum((i + 1) * 7 * ix for i, ix in enumerate(idx))
    noise = np.random.default_rng(seed).integers(0, 8, shape)
    return ((v + noise) % 4000).astype(dtype)


# --------------------------------------------------------------------------
# The reference itself, against hand-computed values (no engine involved)
# --------------------------------------------------------------------------


def _shapes(levels):
    return [lv.shape for lv in levels]


def test_reference_level_plan():
    T, S, C, O = "time", "space", "channel", "other"
    # Y/X only, ceil halving, stop once min(Y, X) <= max(chunk Y, chunk X)
    assert _shapes(plan_levels([0, 37, 21], [2, 8, 8], None, [T, S, S])) == [(0, 37, 21), (0, 19, 11), (0, 10, 6)]
    assert _shapes(plan_levels([0, 40, 33], [1, 8, 16], None, [T, S, S])) == [(0, 40, 33), (0, 20, 17), (0, 10, 9)]
    assert _shapes(plan_levels([0, 64, 64], [1, 16, 8], None, [T, S, S])) == [(0, 64, 64), (0, 32, 32), (0, 16, 16)]
    # min(Y, X) = 20 is not above max(chunks) = 64: no level
    assert _shapes(plan_levels([0, 100, 20], [1, 64, 4], None, [T, S, S])) == [(0, 100, 20)]
    # Z: bounded SPACE third-last, halves while Z > chunk Z; Z-only levels
    assert _shapes(plan_levels([9, 20, 18], [2, 8, 8], None, [S, S, S])) == [
        (9, 20, 18), (5, 10, 9), (3, 5, 5), (2, 5, 5)]
    assert _shapes(plan_levels([20, 16, 16], [4, 8, 8], None, [S, S, S])) == [
        (20, 16, 16), (10, 8, 8), (5, 8, 8), (3, 8, 8)]
    # unbounded Z, Z within one chunk, third-last not SPACE: never halved
    assert _shapes(plan_levels([0, 40, 40], [4, 8, 8], None, [S, S, S])) == [(0, 40, 40), (0, 20, 20), (0, 10, 10), (0, 5, 5)]
    assert _shapes(plan_levels([0, 3, 40, 40], [1, 4, 8, 8], None, [T, S, S, S]))[-1] == (0, 3, 5, 5)
    assert _shapes(plan_levels([0, 20, 40, 40], [1, 4, 8, 8], None, [T, C, S, S]))[-1] == (0, 20, 5, 5)
    assert _shapes(plan_levels([0, 20, 40, 40], [1, 4, 8, 8], None, [T, O, S, S]))[-1] == (0, 20, 5, 5)
    # max_levels caps the downsampled levels; 0 = no cap
    assert len(plan_levels([0, 64, 64], [1, 8, 8], None, [T, S, S], 0)) == 4
    assert len(plan_levels([0, 64, 64], [1, 8, 8], None, [T, S, S], 2)) == 3
    assert len(plan_levels([0, 64, 64], [1, 8, 8], None, [T, S, S], 9)) == 4
    # shards of halved axes shrink to what the level needs
    lv = plan_levels([20, 64, 48], [4, 8, 8], [4, 4, 4], [S, S, S])
    assert [l.shards for l in lv] == [(4, 4, 4), (3, 4, 3), (2, 2, 2), (1, 1, 1)]
    assert [l.halvings for l in lv] == [(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 3, 3)]
    # a stream stopped early: level sizes follow the data actually written
    assert level_data_shape((5, 20, 18), plan_levels([9, 20, 18], [2, 8, 8], None, [S, S, S]), 3) == (1, 5, 5)


def test_reference_methods_by_hand():
    a = np.array([[0, 0, 1, 1, 2],
                  [0, 1, 1, 2, 2],
                  [3, 3, 4, 9, 250]], np.uint8)
    # blocks (edge row / column repeated): [0 0;0 1] [1 1;1 2] [2 2;2 2]
    #                                      [3 3;3 3] [4 9;4 9] [250 x4]
    np.testing.assert_array_equal(downsample_step(a, "decimate"), [[0, 1, 2], [3, 4, 250]])
    np.testing.assert_array_equal(downsample_step(a, "min"), [[0, 1, 2], [3, 4, 250]])
    np.testing.assert_array_equal(downsample_step(a, "max"), [[1, 2, 2], [3, 9, 250]])
    # 0.25 -> 0, 1.25 -> 1, 2, 3, 6.5 -> 6 (tie to even), 250
    np.testing.assert_array_equal(downsample_step(a, "mean"), [[0, 1, 2], [3, 6, 250]])
    ties = np.array([[0, 0, 1, 1], [1, 1, 2, 2]], np.uint8)  # 0.5 -> 0, 1.5 -> 2
    np.testing.assert_array_equal(downsample_step(ties, "mean"), [[0, 2]])
    neg = np.array([[-1, -1, -2, -2], [0, 0, -1, -1]], np.int8)  # -0.5 -> 0, -1.5 -> -2
    np.testing.assert_array_equal(downsample_step(neg, "mean"), [[0, -2]])
    big = np.array([[2**64 - 1, 2**64 - 1], [2**64 - 2, 2**64 - 2]], np.uint64)
    assert downsample_step(big, "mean")[0, 0] == 2**64 - 2  # 2**64 - 1.5: tie to even
    # 2x2x2: one division over 8 samples: (0*7 + 1) / 8 = 0.125 -> 0 ... and
    # sum 4 -> 0.5 -> 0, sum 12 -> 1.5 -> 2
    z = np.zeros((2, 2, 6), np.uint8)
    z[1, 1, 1] = 1
    z[:, 0, 2:4] = 1  # 4 ones
    z[:, :, 4:6] = [[1, 1], [2, 2]]  # 12
    np.testing.assert_array_equal(downsample_step(z, "mean", True, 0), [[[0, 0, 2]]])
    # odd last plane passes through Z (only Y/X reduced); Z-only step
    v = np.arange(3 * 2 * 2, dtype=np.uint16).reshape(3, 2, 2)
    got = downsample_step(v, "max", True, 0)
    np.testing.assert_array_equal(got, [[[7]], [[11]]])
    got = downsample_step(v, "mean", False, 0)
    np.testing.assert_array_equal(got, [[[2, 3], [4, 5]], v[2]])  # (0+4)/2, ..., plane 2 as is
    got = downsample_step(v, "decimate", False, 0)
    np.testing.assert_array_equal(got, [v[0], v[2]])


# --------------------------------------------------------------------------
# Methods x data types, 2-D single image (odd edges at every level)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", METHODS)
def test_2d_methods_dtypes(store, version, method, dtype):
    img = Image(names=["y", "x"], sizes=[37, 29], chunks=[8, 8], shards=[2, 2], dtype=dtype, method=method)
    levels = img.levels()
    assert [lv.shape for lv in levels] == [(37, 29), (19, 15), (10, 8)]
    data = pyramid_data((37, 29), dtype, seed=DTYPES.index(dtype))
    img.write(store, version, data)
    img.verify(store, version, data)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_mean_integer_extremes(store, version, dtype):
    """Values within 3 of the type's min or max: the exact mean, rounded
    half to even, never wraps (32- and 64-bit types included)."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    shape = (3, 18, 18)
    hi = int(info.max) - rng.integers(0, 4, shape).astype(object)
    lo = int(info.min) + rng.integers(0, 4, shape).astype(object)
    data = np.where(rng.integers(0, 2, shape).astype(bool), hi, lo)
    data[0] = hi[0]  # one frame all near max, one all near min
    data[1] = lo[1]
    data = np.asarray(data, dtype=object).astype(dtype)
    img = Image(names=["t", "y", "x"], sizes=[0, 18, 18], chunks=[2, 4, 4], shards=[1, 2, 2], dtype=dtype,
                method="mean")
    assert len(img.levels()) == 4
    img.write(store, version, data)
    refs = img.verify(store, version, data)
    # sanity of the reference itself: frames 0 / 1 stay near the extremes
    assert all(int(v) >= int(info.max) - 3 for v in refs[1][0].reshape(-1))
    assert all(int(v) <= int(info.min) + 3 for v in refs[1][1].reshape(-1))


# block sums chosen for ties: hand-written expectations, no reference
TIE_CASES = {
    # dtype: (2x2 blocks of level 0, expected level 1)
    "uint8": ([[0, 0, 1, 1], [1, 1, 2, 2], [0, 1, 2, 2], [1, 1, 2, 3]], [[0, 2], [1, 2]]),
    "uint16": ([[6, 6, 7, 7], [7, 7, 8, 8], [65535, 65535, 65534, 65534], [65534, 65534, 65535, 65535]],
               [[6, 8], [65534, 65534]]),
    "int8": ([[-1, -1, -2, -2], [0, 0, -1, -1], [-128, -128, 127, 127], [-127, -127, 126, 126]],
             [[0, -2], [-128, 126]]),
    "int16": ([[-3, -3, -5, -4], [-3, -2, -4, -4], [1, 1, -1, -1], [2, 2, -2, -2]], [[-3, -4], [2, -2]]),
    "int32": ([[2**31 - 1, 2**31 - 1, -2**31, -2**31], [2**31 - 1, 2**31 - 2, -2**31 + 1, -2**31 + 1],
               [2**31 - 1, 2**31 - 1, -2**31, -2**31 + 1], [2**31 - 2, 2**31 - 2, -2**31 + 1, -2**31 + 1]],
              [[2**31 - 1, -2**31], [2**31 - 2, -2**31 + 1]]),
    "uint32": ([[2**32 - 1, 2**32 - 1, 1, 1], [2**32 - 2, 2**32 - 2, 2, 2],
                [2**32 - 1, 2**32 - 1, 2**32 - 1, 2**32 - 1], [2**32 - 1, 2**32 - 2, 2**32 - 1, 2**32 - 1]],
               [[2**32 - 2, 2], [2**32 - 1, 2**32 - 1]]),
    "int64": ([[2**63 - 1, 2**63 - 1, -2**63, -2**63], [2**63 - 2, 2**63 - 2, -2**63 + 1, -2**63 + 1],
               [2**63 - 1, 2**63 - 1, -2**63, -2**63], [2**63 - 1, 2**63 - 2, -2**63, -2**63 + 1]],
              [[2**63 - 2, -2**63], [2**63 - 1, -2**63]]),
    "uint64": ([[2**64 - 1, 2**64 - 1, 2**64 - 3, 2**64 - 3], [2**64 - 2, 2**64 - 2, 2**64 - 2, 2**64 - 2],
                [0, 0, 2**64 - 1, 2**64 - 1], [1, 1, 2**64 - 1, 2**64 - 1]],
               [[2**64 - 2, 2**64 - 2], [0, 2**64 - 1]]),
}


@pytest.mark.parametrize("dtype", TIE_CASES)
def test_mean_rounding_ties_to_even(store, version, dtype):
    """Halfway means round to the even neighbour (np.rint), also for
    negative values and next to the type's limits."""
    blocks, want = TIE_CASES[dtype]
    data = np.asarray(np.array(blocks, dtype=object), dtype=object).astype(dtype)
    want = np.asarray(np.array(want, dtype=object), dtype=object).astype(dtype)
    np.testing.assert_array_equal(downsample_step(data, "mean"), want)  # the reference agrees
    img = Image(names=["y", "x"], sizes=[4, 4], chunks=[2, 2], shards=[2, 2], dtype=dtype, method="mean")
    assert [lv.shape for lv in img.levels()] == [(4, 4), (2, 2)]
    img.write(store, version, data)
    img.verify(store, version, data)


# --------------------------------------------------------------------------
# Z: 2x2x2 blocks, Z-only levels (1x1x2), odd last plane
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint32", "int64", "uint64", "float32"])
@pytest.mark.parametrize("method", METHODS)
def test_3d_zyx(store, version, method, dtype):
    img = Image(names=["z", "y", "x"], sizes=[9, 20, 18], chunks=[2, 8, 8], shards=[2, 2, 2], dtype=dtype,
                method=method, key="vol", units=["micrometer"] * 3, scales=[2.0, 0.5, 0.25])
    levels = img.levels()
    assert [lv.shape for lv in levels] == [(9, 20, 18), (5, 10, 9), (3, 5, 5), (2, 5, 5)]
    assert levels[3].halved == (True, False, False)  # a Z-only level
    data = pyramid_data((9, 20, 18), dtype, seed=3)
    img.write(store, version, data)
    img.verify(store, version, data)


def test_3d_mean_divides_once(store, version):
    """2x2x2 MEAN is one division over 8 samples (per-plane means first
    would round twice): block sums 5 -> 0.625 -> 1 (twice: 1, 0 -> 0.5 -> 0),
    4 -> 0.5 -> 0, 12 -> 1.5 -> 2."""
    data = np.array([
        [[1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 2, 2]],
        [[1, 1, 0, 0, 1, 1], [0, 0, 1, 1, 2, 2]],
    ], np.uint8)
    img = Image(names=["z", "y", "x"], sizes=[2, 2, 6], chunks=[1, 1, 1], dtype="uint8", method="mean")
    assert [lv.shape for lv in img.levels()] == [(2, 2, 6), (1, 1, 3)]
    np.testing.assert_array_equal(downsample_step(data, "mean", True, 0), [[[1, 0, 2]]])
    img.write(store, version, data)
    img.verify(store, version, data)


@pytest.mark.parametrize("method", ["mean", "max"])
def test_5d_tczyx(store, version, method):
    img = Image(
        names=["t", "c", "z", "y", "x"], sizes=[0, 2, 6, 24, 20], chunks=[1, 1, 2, 8, 8], shards=[1, 2, 3, 3, 3],
        method=method, units=["millisecond", None, "micrometer", "micrometer", "micrometer"],
        scales=[10.0, 1.0, 3.0, 0.5, 0.5], codec=LZ4,
    )
    assert [lv.shape for lv in img.levels()] == [(0, 2, 6, 24, 20), (0, 2, 3, 12, 10), (0, 2, 2, 6, 5)]
    data = pyramid_data((3, 2, 6, 24, 20), "uint16", seed=5)
    img.write(store, version, data)
    img.verify(store, version, data)


SHAPE_CASES = {
    # name: (names, kinds, sizes, chunks, shards, data shape, expected level shapes)
    "tcyx-channel-not-z": (["t", "c", "y", "x"], None, [0, 6, 40, 40], [1, 2, 8, 8], [1, 1, 1, 1], (2, 6, 40, 40),
                           [(0, 6, 40, 40), (0, 6, 20, 20), (0, 6, 10, 10), (0, 6, 5, 5)]),
    "tzyx-z-in-one-chunk": (["t", "z", "y", "x"], None, [0, 3, 40, 40], [1, 4, 8, 8], [1, 1, 1, 1], (2, 3, 40, 40),
                            [(0, 3, 40, 40), (0, 3, 20, 20), (0, 3, 10, 10), (0, 3, 5, 5)]),
    "tzyx-z-halved": (["t", "z", "y", "x"], None, [0, 5, 24, 24], [1, 2, 8, 8], [1, 1, 1, 1], (2, 5, 24, 24),
                      [(0, 5, 24, 24), (0, 3, 12, 12), (0, 2, 6, 6)]),
    "zyx-unbounded-z": (["z", "y", "x"], None, [0, 20, 20], [2, 8, 8], [1, 1, 1], (6, 20, 20),
                        [(0, 20, 20), (0, 10, 10), (0, 5, 5)]),
    "cyx-bounded-channel": (["c", "y", "x"], None, [6, 20, 20], [2, 8, 8], [1, 1, 1], (6, 20, 20),
                            [(6, 20, 20), (6, 10, 10), (6, 5, 5)]),
    "toyx-other": (["t", "o", "y", "x"], None, [0, 6, 20, 20], [1, 2, 8, 8], [1, 1, 1, 1], (2, 6, 20, 20),
                   [(0, 6, 20, 20), (0, 6, 10, 10), (0, 6, 5, 5)]),
    "no-level-fits-one-chunk": (["t", "y", "x"], None, [0, 16, 16], [1, 16, 16], [1, 1, 1], (2, 16, 16),
                                [(0, 16, 16)]),
    "no-level-narrow": (["t", "y", "x"], None, [0, 100, 20], [1, 64, 4], [1, 1, 1], (2, 100, 20),
                        [(0, 100, 20)]),
    "yx-wide-chunks": (["t", "y", "x"], None, [0, 40, 33], [1, 8, 16], [1, 3, 2], (2, 40, 33),
                       [(0, 40, 33), (0, 20, 17), (0, 10, 9)]),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=str)
def test_level_shapes(store, version, case):
    names, kinds, sizes, chunks, shards, shape, want = SHAPE_CASES[case]
    img = Image(names=names, kinds=kinds, sizes=sizes, chunks=chunks, shards=shards, dtype="uint8", method="mean")
    assert [lv.shape for lv in img.levels()] == want
    data = pyramid_data(shape, "uint8", seed=1)
    img.write(store, version, data)
    img.verify(store, version, data)


@pytest.mark.parametrize("max_levels,n_levels", [(1, 2), (2, 3), (3, 4), (10, 4), (0, 4)])
def test_max_levels(store, version, max_levels, n_levels):
    img = Image(names=["t", "y", "x"], sizes=[0, 64, 64], chunks=[1, 8, 8], shards=[1, 2, 2], dtype="uint16",
                method="max", max_levels=max_levels)
    assert len(img.levels()) == n_levels
    data = pyramid_data((2, 64, 64), "uint16", seed=2)
    img.write(store, version, data)
    img.verify(store, version, data)


def test_max_levels_with_z(store, version):
    img = Image(names=["z", "y", "x"], sizes=[9, 20, 18], chunks=[2, 8, 8], dtype="uint8", method="mean",
                max_levels=2)
    assert [lv.shape for lv in img.levels()] == [(9, 20, 18), (5, 10, 9), (3, 5, 5)]
    data = pyramid_data((9, 20, 18), "uint8", seed=4)
    img.write(store, version, data)
    img.verify(store, version, data)


# --------------------------------------------------------------------------
# Codecs
# --------------------------------------------------------------------------


@pytest.mark.parametrize("codec", [NONE, LZ4, BZSTD, ZSTD], ids=str)
@pytest.mark.parametrize("method", ["mean", "decimate"])
def test_codecs(store, version, codec, method):
    img = Image(names=["t", "y", "x"], sizes=[0, 40, 33], chunks=[2, 8, 16], shards=[2, 2, 2], codec=codec,
                method=method)
    data = smooth_data((5, 40, 33))
    img.write(store, version, data)
    img.verify(store, version, data)


# --------------------------------------------------------------------------
# Streaming: pieces, skip, stopped early, nothing written
# --------------------------------------------------------------------------


def test_appended_in_pieces_and_skip(store, version):
    """Half frames, pieces spanning frames, an empty piece, and a skipped
    (dropped) frame that reads back as zeros at every level."""
    img = Image(names=["t", "c", "y", "x"], sizes=[0, 2, 21, 19], chunks=[2, 1, 4, 4], shards=[1, 2, 2, 2],
                dtype="int32", method="mean", codec=ZSTD)
    data = pyramid_data((3, 2, 21, 19), "int32", seed=8)
    data[1, 0] = 0  # frame 2 is skipped, not appended
    px = 21 * 19
    flat = data.reshape(-1)
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    stream.append(flat[: px // 2 + 3])            # half a frame
    stream.append(flat[px // 2 + 3 : 2 * px])     # the rest of frame 0 and frame 1
    stream.append(flat[:0])                       # an empty piece
    stream.skip(px * 4)                           # frame 2 dropped
    stream.append(flat[3 * px : 4 * px + 10])     # frame 3 and a bit of frame 4
    stream.append(flat[4 * px + 10 :])            # the rest
    stream.close()
    img.verify(store, version, data)


def _write_frames(img, store, version, frames, pieces=1):
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    for part in np.array_split(frames, pieces):
        if part.size:
            stream.append(part)
    stream.close()


@pytest.mark.parametrize("bounded", [False, True], ids=["unbounded", "bounded10"])
def test_stopped_early_tyx(store, version, bounded):
    """5 frames, t chunk 2: every level holds 5 rows."""
    img = Image(names=["t", "y", "x"], sizes=[10 if bounded else 0, 37, 21], chunks=[2, 8, 8], shards=[2, 2, 2],
                method="mean", codec=LZ4)
    frames = pyramid_data((5, 37, 21), "uint16", seed=9)
    _write_frames(img, store, version, frames, pieces=3)
    refs = img.verify(store, version, frames)
    assert [r.shape for r in refs] == [(5, 37, 21), (5, 19, 11), (5, 10, 6)]


@pytest.mark.parametrize("dim0", [0, 4], ids=["unbounded", "bounded4"])
def test_stopped_early_5d_mid_row(store, version, dim0):
    """t x c(2) x z(4) x y x x stopped after 1 row + 3 frames (c=0, z=0..2):
    rows = 2 at every level; the filled part matches the reference."""
    img = Image(names=["t", "c", "z", "y", "x"], sizes=[dim0, 2, 4, 20, 20], chunks=[1, 1, 2, 8, 8],
                shards=[1, 1, 2, 2, 2], method="max")
    assert [lv.shape for lv in img.levels()] == [(dim0, 2, 4, 20, 20), (dim0, 2, 2, 10, 10), (dim0, 2, 2, 5, 5)]
    n = 8 + 3
    frames = pyramid_data((n, 20, 20), "uint16", seed=10)
    _write_frames(img, store, version, frames, pieces=4)
    acquired = img.frames_to_acquired(frames)
    assert acquired.shape == (2, 2, 4, 20, 20)
    mask = img.written_mask(n, 2)
    refs = img.verify(store, version, acquired, mask=mask)
    assert [r.shape for r in refs] == [(2, 2, 4, 20, 20), (2, 2, 2, 10, 10), (2, 2, 2, 5, 5)]


def test_stopped_early_bounded_z(store, version):
    """A bounded Z append dimension (9 planes declared) stopped after 5:
    each Z-halving level holds ceil(rows / 2) planes."""
    img = Image(names=["z", "y", "x"], sizes=[9, 20, 18], chunks=[2, 8, 8], dtype="uint16", method="mean")
    frames = pyramid_data((5, 20, 18), "uint16", seed=11)
    _write_frames(img, store, version, frames, pieces=5)
    refs = img.verify(store, version, frames)
    assert [r.shape for r in refs] == [(5, 20, 18), (3, 10, 9), (2, 5, 5), (1, 5, 5)]


def test_no_frames_written(store, version):
    img = Image(names=["t", "y", "x"], sizes=[0, 37, 21], chunks=[2, 8, 8], method="min")
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    stream.close()
    refs = img.verify(store, version, np.zeros((0, 37, 21), np.uint16))
    assert [r.shape for r in refs] == [(0, 37, 21), (0, 19, 11), (0, 10, 6)]


def test_one_frame_at_a_time_float(store, version):
    img = Image(names=["t", "y", "x"], sizes=[0, 33, 35], chunks=[3, 8, 8], shards=[1, 2, 2], dtype="float64",
                method="mean", codec=BZSTD)
    data = pyramid_data((4, 33, 35), "float64", seed=12)
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    for f in data:
        stream.append(f)
    stream.close()
    img.verify(store, version, data)


# --------------------------------------------------------------------------
# Memory accounting
# --------------------------------------------------------------------------


def _memory_image(method):
    return Image(names=["t", "y", "x"], sizes=[0, 256, 256], chunks=[4, 64, 64], shards=[2, 2, 2], codec=LZ4,
                 method=method)


def test_memory_estimate_counts_the_pyramid(store):
    plain = _memory_image(None).stream_settings(store, "v3").get_maximum_memory_usage()
    with_pyramid = _memory_image("mean").stream_settings(store, "v3").get_maximum_memory_usage()
    assert isinstance(with_pyramid, int)
    assert with_pyramid > plain > 0, (plain, with_pyramid)
    assert not store.exists(), "estimating must not touch the disk"


def test_current_memory_within_maximum(store, version):
    img = _memory_image("mean")
    settings = img.stream_settings(store, version)
    maximum = settings.get_maximum_memory_usage()
    stream = aqz.ZarrStream(settings)
    data = smooth_data((12, 256, 256))
    samples = [stream.get_current_memory_usage()]
    flat = data.reshape(-1)
    step = 256 * 256 // 2 + 7
    for pos in range(0, flat.size, step):
        stream.append(flat[pos : pos + step])
        samples.append(stream.get_current_memory_usage())
    stream.close()
    assert all(isinstance(s, int) and 0 <= s <= maximum for s in samples), (maximum, max(samples))
    assert max(samples) > 0
    img.verify(store, version, data)
