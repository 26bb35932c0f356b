"""acquire_zarr.layout.auto_layout: the dataset_to_zarr chunk/shard policy.

Power-of-two squares (two SPACE axes) or cubes (three) targeting 256^2 / 32^3
elements per chunk and 8192^2 / 512^3 per shard, trimmed to the array, shards
rounded up to chunk multiples; non-spatial axes chunk 1 with one chunk per
shard; an int is an element target; a tuple is taken as given (0 spans the
axis); shards=None is no sharding.
"""

import numpy as np
import pytest

import acquire_zarr as aqz
from acquire_zarr.layout import Layout, auto_layout

S, T, C, O = "space", "time", "channel", "other"

# (shape, kinds, chunks spec, shards spec) -> (chunks, shards)
TABLE = [
    # 3-D volumes: 32^3 chunks, 512^3 shards, trimmed, shards rounded up
    ((2000, 3000, 3000), [S, S, S], "auto", "auto", (32, 32, 32), (512, 512, 512)),
    ((512, 512, 512), [S, S, S], "auto", "auto", (32, 32, 32), (512, 512, 512)),
    ((70, 200, 150), [S, S, S], "auto", "auto", (32, 32, 32), (96, 224, 160)),
    ((10, 300, 300), [S, S, S], "auto", "auto", (10, 32, 32), (10, 320, 320)),
    ((1, 1, 1), [S, S, S], "auto", "auto", (1, 1, 1), (1, 1, 1)),
    # 2-D images: 256^2 chunks, 8192^2 shards
    ((100000, 70000), [S, S], "auto", "auto", (256, 256), (8192, 8192)),
    ((1000, 90), [S, S], "auto", "auto", (256, 90), (1024, 90)),
    ((100, 90), [S, S], "auto", None, (100, 90), None),
    # non-spatial axes: chunk 1, one chunk per shard
    ((3, 5000, 7000), [C, S, S], "auto", None, (1, 256, 256), None),
    ((3, 5000, 7000), [C, S, S], "auto", "auto", (1, 256, 256), (1, 5120, 7168)),
    ((500, 2048, 2048), [T, S, S], "auto", "auto", (1, 256, 256), (1, 2048, 2048)),
    ((5, 3, 40, 1000, 1000), [T, C, S, S, S], "auto", "auto",
     (1, 1, 32, 32, 32), (1, 1, 64, 512, 512)),
    ((4, 64, 64, 64), [O, S, S, S], "auto", "auto", (1, 32, 32, 32), (1, 64, 64, 64)),
    # integer targets: the largest power of two whose square / cube fits
    ((64, 64, 64), [S, S, S], 1000, "auto", (8, 8, 8), (64, 64, 64)),
    ((64, 64, 64), [S, S, S], 4096, 32768, (16, 16, 16), (32, 32, 32)),
    ((4000, 4000), [S, S], 10000, 10**6, (64, 64), (512, 512)),
    ((4000, 4000), [S, S], 1, 1, (1, 1), (1, 1)),
    # explicit tuples: as given, 0 spans the axis (the shard's, when shards is a tuple)
    ((64, 64, 64), [S, S, S], (0, 16, 16), (0, 32, 32), (64, 16, 16), (64, 32, 32)),
    ((64, 64, 64), [S, S, S], (16, 0, 8), None, (16, 64, 8), None),
    ((64, 64, 64), [S, S, S], (16, 16, 16), "auto", (16, 16, 16), (64, 64, 64)),
    ((100, 64, 64), [S, S, S], (32, 32, 32), (0, 64, 64), (32, 32, 32), (128, 64, 64)),
    ((3, 100, 100), [C, S, S], (3, 50, 50), "auto", (3, 50, 50), (3, 100, 100)),
    ((10, 100, 100), [S, S, S], (20, 64, 64), None, (20, 64, 64), None),  # larger than the array
]


@pytest.mark.parametrize("shape,kinds,chunks,shards,want_chunks,want_shards", TABLE)
def test_auto_layout_table(shape, kinds, chunks, shards, want_chunks, want_shards):
    layout = auto_layout(shape, kinds, np.uint16, chunks=chunks, shards=shards)
    assert layout.chunks == want_chunks
    assert layout.shards == want_shards
    if layout.shards is not None:
        assert all(s % c == 0 for s, c in zip(layout.shards, layout.chunks))
        assert layout.shard_size_chunks == tuple(s // c for s, c in zip(layout.shards, layout.chunks))
    else:
        assert layout.shard_size_chunks == (1,) * len(shape)


@pytest.mark.parametrize(
    "ndim,kinds",
    [
        (2, ("SPACE", "SPACE")),
        (3, ("SPACE", "SPACE", "SPACE")),
        (4, ("CHANNEL", "SPACE", "SPACE", "SPACE")),
        (5, ("TIME", "CHANNEL", "SPACE", "SPACE", "SPACE")),
    ],
)
def test_default_kinds_are_tczyx(ndim, kinds):
    shape = (40,) * ndim
    inferred = auto_layout(shape)
    explicit = auto_layout(shape, [getattr(aqz.DimensionType, k) for k in kinds])
    assert inferred == explicit


def test_kinds_accept_enums_and_names():
    a = auto_layout((64, 64, 64), [aqz.DimensionType.SPACE] * 3)
    b = auto_layout((64, 64, 64), ["Space", "space", "SPACE"])
    assert a == b


def test_layout_repr_and_str():
    layout = auto_layout((2000, 3000, 3000), [S, S, S], "uint16")
    assert repr(layout) == "Layout(chunks=(32, 32, 32), shards=(512, 512, 512))"
    assert eval(repr(layout), {"Layout": Layout}).chunks == layout.chunks
    text = str(layout)
    assert "32x32x32" in text and "64 KiB" in text and "512x512x512" in text
    assert "4096 chunks" in text and "256 MiB" in text
    assert "not sharded" in str(auto_layout((64, 64), shards=None))
    assert layout.chunks_per_shard == 4096
    with pytest.raises(AttributeError):
        layout.chunks = (1, 1, 1)  # frozen


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        (dict(shape=(64, 64, 64), chunks=(1, 2)), "chunks=(1, 2)"),
        (dict(shape=(64, 64, 64), chunks=(4, 4, 4), shards=(4, 4)), "shards=(4, 4)"),
        (dict(shape=(64, 64, 64), chunks=(4, -1, 4)), "-1"),
        (dict(shape=(64, 64, 64), chunks=(4, 4.5, 4)), "4.5"),
        (dict(shape=(64, 64, 64), shards=(8, 8, 8)), "shards=(8, 8, 8)"),
        (dict(shape=(64, 64, 64), chunks=(4, 4, 4), shards=(6, 4, 4)), "6"),
        (dict(shape=(64, 64, 64), chunks="big"), "'big'"),
        (dict(shape=(64, 64, 64), shards="many"), "'many'"),
        (dict(shape=(64, 64, 64), chunks=0), "chunks=0"),
        (dict(shape=(64, 64, 64), chunks=True), "True"),
        (dict(shape=(64, 64, 64), dtype="float16"), "float16"),
        (dict(shape=(64, 64, 64), dtype=bool), "bool"),
        (dict(shape=(64, 64, 64), dtype=np.complex64), "complex64"),
        (dict(shape=(64, 0, 64)), "0"),
        (dict(shape=(64, -3, 64)), "-3"),
        (dict(shape=()), "()"),
        (dict(shape=(64, 64, 64), dimension_kinds=[S, S]), "2 entries"),
        (dict(shape=(64, 64, 64), dimension_kinds=[S, S, "volume"]), "'volume'"),
        (dict(shape=(64, 64), dimension_kinds=[C, T]), "no SPACE axis"),
        (dict(shape=(2,) * 6), "6 axes"),
    ],
)
def test_bad_specs_name_the_value(kwargs, needle):
    with pytest.raises(aqz.InvalidSettingsError) as e:
        auto_layout(**kwargs)
    assert needle in str(e.value), str(e.value)
    assert isinstance(e.value, ValueError)
