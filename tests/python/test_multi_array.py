"""Several arrays per stream (output_key, nested groups, append(key=)) and the
overwrite semantics."""

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
from conftest import (
    LZ4,
    NONE,
    ZSTD,
    ArraySpec,
    Codec,
    assert_group,
    node_path,
    random_data,
    stream_settings,
    tree_snapshot,
    verify_array,
    write_arrays,
)


def _specs():
    return [
        ArraySpec(shape=(5, 6, 5), chunks=(2, 4, 4), shards=(1, 2, 1), dtype="uint16", key="a", codec=LZ4),
        ArraySpec(shape=(3, 2, 8, 8), chunks=(1, 1, 4, 4), shards=(2, 2, 1, 2), dtype="float32", key="g/b", codec=ZSTD),
        ArraySpec(shape=(9, 7), chunks=(4, 4), dtype="int8", key="g/h/c.d-e_f", codec=Codec("blosc-zstd", 4, 2)),
        ArraySpec(shape=(4, 3, 5), chunks=(3, 2, 2), dtype="uint64", key="z", codec=NONE, dim0_size=4),
    ]


def test_several_arrays_interleaved(store, version):
    specs = _specs()
    datas = [random_data(s.shape, s.dtype, seed=i) for i, s in enumerate(specs)]
    settings = stream_settings(store, specs, version)
    assert sorted(settings.get_array_keys()) == sorted(s.key for s in specs)
    stream = aqz.ZarrStream(settings)
    # round-robin, one frame (or half a frame) at a time
    cursors = [0] * len(specs)
    flats = [d.reshape(-1) for d in datas]
    while any(c < f.size for c, f in zip(cursors, flats)):
        for i, (s, f) in enumerate(zip(specs, flats)):
            if cursors[i] < f.size:
                n = max(1, (s.frame_shape[0] * s.frame_shape[1]) // 2)
                stream.append(f[cursors[i] : cursors[i] + n], key=s.key)
                cursors[i] += n
    stream.close()
    for s, d in zip(specs, datas):
        verify_array(store, s, version, d)
    # root and every intermediate group
    for g in ["", "g", "g/h"]:
        assert_group(store, g, version)
    root = zarr.open_group(str(store), mode="r")
    assert sorted(root.array_keys()) == ["a", "z"]
    assert sorted(root.group_keys()) == ["g"]
    assert sorted(root["g"].array_keys()) == ["b"]
    assert sorted(root["g/h"].array_keys()) == ["c.d-e_f"]
    np.testing.assert_array_equal(root["g/h/c.d-e_f"][...], datas[2])


@pytest.mark.parametrize("key", ["", "x", "deep/er/still/x"])
def test_single_array_key_optional(store, version, key):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4), key=key)
    data = random_data(spec.shape, spec.dtype)
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.append(data[0])  # no key
    stream.append(data[1], key=key if key else None)
    stream.close()
    verify_array(store, spec, version, data)
    if key:
        assert_group(store, "", version)


def test_missing_and_unknown_key(store, version):
    specs = _specs()[:2]
    stream = aqz.ZarrStream(stream_settings(store, specs, version))
    frame_a = np.ones(specs[0].frame_shape, np.uint16)
    with pytest.raises(RuntimeError):
        stream.append(frame_a)  # several arrays: key required
    with pytest.raises(RuntimeError):
        stream.append(frame_a, key="nope")
    with pytest.raises(RuntimeError):
        stream.append(frame_a, key="g")  # a group, not an array
    with pytest.raises(RuntimeError):
        stream.skip(10)
    with pytest.raises(RuntimeError):
        stream.skip(10, key="nope")
    stream.append(frame_a, key="a")
    stream.close()
    spec_a = ArraySpec(**{**specs[0].__dict__, "shape": (1, 6, 5)})
    verify_array(store, spec_a, version, frame_a[None])


def test_unknown_key_single_array(store, version):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4), key="a")
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    with pytest.raises(RuntimeError):
        stream.append(np.ones(spec.frame_shape, np.uint16), key="b")
    stream.append(np.full(spec.frame_shape, 3, np.uint16), key="a")
    stream.close()
    verify_array(store, spec, version, np.full(spec.shape, 3, np.uint16))


# --------------------------------------------------------------------------
# overwrite
# --------------------------------------------------------------------------


def _one(key, seed, shape=(3, 6, 5), dtype="uint16"):
    spec = ArraySpec(shape=shape, chunks=(2, 4, 4), shards=(2, 1, 2), key=key, dtype=dtype, codec=LZ4)
    return spec, random_data(spec.shape, dtype, seed=seed)


def test_overwrite_true_removes_old_store(store, version):
    old, dold = _one("old/arr", 1)
    write_arrays(store, [(old, dold)], version)
    (store / "stray.txt").write_text("left over")
    new, dnew = _one("new", 2)
    write_arrays(store, [(new, dnew)], version, overwrite=True)
    assert not (store / "old").exists()
    assert not (store / "stray.txt").exists()
    verify_array(store, new, version, dnew)
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == (
        ["new"] if version == "v2" else ["new", "zarr.json"]
    )


def test_overwrite_true_replaces_other_version(store):
    """A v2 store replaced by a v3 one leaves no v2 metadata behind."""
    old, dold = _one("a", 1)
    write_arrays(store, [(old, dold)], "v2")
    new, dnew = _one("a", 2, shape=(2, 6, 5))
    write_arrays(store, [(new, dnew)], "v3", overwrite=True)
    assert not list(store.rglob(".zarray")) and not list(store.rglob(".zgroup"))
    verify_array(store, new, "v3", dnew)


def test_overwrite_same_key(store, version):
    old, dold = _one("a", 1, shape=(5, 6, 5))
    write_arrays(store, [(old, dold)], version)
    new, dnew = _one("a", 2, shape=(2, 6, 5))
    write_arrays(store, [(new, dnew)], version, overwrite=True)
    # no stale chunks of the longer old array survive
    verify_array(store, new, version, dnew)


@pytest.mark.parametrize("new_key", ["b", "g/b", "h/i/b"])
def test_overwrite_false_adds_sibling(store, version, new_key):
    old, dold = _one("g/a", 1)
    write_arrays(store, [(old, dold)], version)
    (store / "notes.txt").write_text("keep me")
    before = tree_snapshot(node_path(store, "g/a"))
    new, dnew = _one(new_key, 2, dtype="int32")
    write_arrays(store, [(new, dnew)], version, overwrite=False)
    assert (store / "notes.txt").read_text() == "keep me"
    assert tree_snapshot(node_path(store, "g/a")) == before
    verify_array(store, old, version, dold)
    verify_array(store, new, version, dnew)
    root = zarr.open_group(str(store), mode="r")
    np.testing.assert_array_equal(root["g/a"][...], dold)
    np.testing.assert_array_equal(root[new_key][...], dnew)


@pytest.mark.parametrize("key", ["a", "g/a"])
def test_overwrite_false_refuses_existing_array(store, version, key):
    old, dold = _one(key, 1)
    write_arrays(store, [(old, dold)], version)
    before = tree_snapshot(store)
    new, dnew = _one(key, 2, shape=(2, 6, 5))
    with pytest.raises(RuntimeError) as ei:
        aqz.ZarrStream(stream_settings(store, new, version, overwrite=False))
    assert key in str(ei.value), f"message should name the key: {ei.value}"
    assert tree_snapshot(store) == before
    verify_array(store, old, version, dold)


def test_overwrite_false_refuses_array_among_several(store, version):
    """One clashing array refuses the whole stream; nothing is added."""
    old, dold = _one("a", 1)
    write_arrays(store, [(old, dold)], version)
    before = tree_snapshot(store)
    b, _ = _one("b", 2)
    a2, _ = _one("a", 3)
    with pytest.raises(RuntimeError):
        aqz.ZarrStream(stream_settings(store, [b, a2], version, overwrite=False))
    assert tree_snapshot(store) == before
    assert not (store / "b").exists()


def test_overwrite_false_new_store(tmp_path, version):
    store = tmp_path / "fresh.zarr"
    spec, data = _one("a", 1)
    write_arrays(store, [(spec, data)], version, overwrite=False)
    verify_array(store, spec, version, data)
