"""Random stream settings for test_settings_fuzz.py, as plain JSON data.

A case is generated from (seed, index) alone, so any failure reproduces
from those two numbers. Each case starts as a *valid* configuration (small,
so a stream of it is fast to write and read back) and then gets zero to
three mutations from MUTATIONS: edge and invalid values of one field each.
A case without mutations must be accepted; a mutated one may be accepted
or refused, and the worker checks either outcome.

Values stay plain data (enum members by name, dtypes by spelling) so that a
case can be printed, sent to the worker as one JSON line and pasted back.
"""

from __future__ import annotations

import random

# Enum members are spelled {"enum": "DimensionType.TIME"}; anything else is
# passed to the settings classes as it is (wrong types on purpose included).
TIME, CHANNEL, OTHER, SPACE = ({"enum": f"DimensionType.{k}"}
                               for k in ("TIME", "CHANNEL", "OTHER", "SPACE"))
METHODS = ["DECIMATE", "MEAN", "MIN", "MAX"]
DTYPES = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
          "int64", "float32", "float64"]
U32 = 2**32 - 1
HUGE = [2**31, U32, 2**32, 2**63, 2**64 - 1, 2**64]

# Names that a key, a path or a dimension name may try to be.
NASTY_NAMES = ["", ".", "..", "/", "//", "zarr.json", ".zgroup", ".zarray",
               ".zattrs", ".zmetadata", "__x", "a b", "caf\u00e9", "\u56fe\u50cf",
               "a\x00b", "\x00", "\udcff", "\ud800", "x" * 255, "x" * 256,
               "y" * 5000, "a/../b", "a//b", "./a", "a/.", "\n", "a\\b", "-", "_"]


def enum(name: str) -> dict:
    return {"enum": name}


def _data_type(rng: random.Random):
    name = rng.choice(DTYPES)
    form = rng.random()
    if form < 0.4:
        return enum(f"DataType.{name.upper()}")
    if form < 0.7:
        return {"numpy": name}  # np.uint16 and friends
    return name  # "uint16" (numpy.dtype() accepts it)


def _compression(rng: random.Random):
    r = rng.random()
    if r < 0.4:
        return None
    if r < 0.8:
        return {"compressor": enum("Compressor.BLOSC1"),
                "codec": enum(rng.choice(["CompressionCodec.BLOSC_LZ4",
                                          "CompressionCodec.BLOSC_ZSTD"])),
                "level": rng.randint(0, 9), "shuffle": rng.randint(0, 2)}
    return {"compressor": enum("Compressor.ZSTD"), "codec": enum("CompressionCodec.ZSTD"),
            "level": rng.randint(1, 22), "shuffle": 0}


def _dimension(rng, name, kind, size, bounded_max=4):
    if size is None:  # a bounded axis of a few pixels
        size = rng.randint(1, bounded_max)
    top = max(size, 3)
    chunk = rng.randint(1, top) if rng.random() < 0.85 else top + rng.randint(1, 5)
    dim = {"name": name, "kind": kind, "array_size_px": size, "chunk_size_px": chunk,
           "shard_size_chunks": rng.randint(1, 3)}
    if rng.random() < 0.3:
        dim["unit"] = rng.choice(["micrometer", "second", "millisecond"])
    if rng.random() < 0.3:
        dim["scale"] = rng.choice([0.5, 2.0, 1e-3, 7.25])
    return dim


def _frame_dims(rng, names=("y", "x")):
    big = rng.random() < 0.1
    return [_dimension(rng, n, SPACE, rng.randint(1, 96 if big else 24)) for n in names]


def _small_padding(dims: list) -> list:
    """Keeps a chunk's padding beyond a bounded array small (at 8 bytes per
    pixel), as the engine requires of valid settings."""
    declared = fillable = 8
    for d in dims:
        declared *= d["chunk_size_px"]
        fillable *= min(d["chunk_size_px"], d["array_size_px"] or d["chunk_size_px"])
    if declared - fillable > (64 << 20):
        for d in dims:
            if d["array_size_px"]:
                d["chunk_size_px"] = min(d["chunk_size_px"], d["array_size_px"])
    return dims


def _plain_array(rng) -> dict:
    """A non-NGFF array: 2 to 8 dimensions, any kinds before Y and X."""
    ndim = rng.choice([2, 3, 3, 3, 4, 4, 5, 6, 8])
    first_size = 0 if ndim > 2 and rng.random() < 0.6 else None
    dims = []
    for i in range(ndim - 2):
        kind = rng.choice([TIME, CHANNEL, OTHER, SPACE])
        dims.append(_dimension(rng, f"d{i}", kind, first_size if i == 0 else None,
                               bounded_max=4 if ndim < 6 else 2))
    dims = _small_padding(dims + _frame_dims(rng))
    order = None
    if rng.random() < 0.3:
        middle = list(range(1, ndim - 2))
        rng.shuffle(middle)
        tail = [ndim - 2, ndim - 1] if rng.random() < 0.5 else [ndim - 1, ndim - 2]
        indices = ([0] + middle if ndim > 2 else []) + tail
        order = [dims[i]["name"] for i in indices]
    return {"dimensions": dims, "order": order, "ngff": False}


def _ngff_array(rng) -> dict:
    """An OME-NGFF image: [t] [c] [z] y x stored in that order (acquired
    t z c y x when both c and z exist, half of the time)."""
    has_t, has_c, has_z = (rng.random() < 0.6 for _ in range(3))
    dims = []
    if has_t:
        dims.append(_dimension(rng, "t", TIME, 0 if rng.random() < 0.7 else None))
    channel = _dimension(rng, "c", rng.choice([CHANNEL, OTHER]), None, 3) if has_c else None
    z = _dimension(rng, "z", SPACE, None, 6) if has_z else None
    # The first dimension stays first, so only behind t may z and c swap.
    acquired_z_first = has_t and has_c and has_z and rng.random() < 0.5
    dims += [d for d in ([z, channel] if acquired_z_first else [channel, z]) if d]
    dims = _small_padding(dims + _frame_dims(rng))
    names = [d["name"] for d in dims]
    stored = [n for n in ("t", "c", "z") if n in names] + ["y", "x"]
    if rng.random() < 0.2:
        stored[-2:] = ["x", "y"]
    order = stored if stored != names or rng.random() < 0.2 else None
    return {"dimensions": dims, "order": order, "ngff": True}


def _array(rng, key, force_ngff=False) -> dict:
    shape = _ngff_array(rng) if force_ngff or rng.random() < 0.3 else _plain_array(rng)
    ngff = shape["ngff"]
    method = rng.choice(METHODS) if ngff and rng.random() < 0.6 else None
    array = {
        "output_key": key,
        "data_type": _data_type(rng),
        "compression": _compression(rng),
        "dimensions": shape["dimensions"],
        "downsampling_method": None if method is None else enum(f"DownsamplingMethod.{method}"),
        "max_levels": rng.choice([0, 0, 1, 2, 3]),
        "is_ngff": ngff and (method is None or rng.random() < 0.5),
    }
    if shape["order"] is not None:
        array["storage_dimension_order"] = shape["order"]
    return array


def _plate(rng, version_v2: bool) -> dict:
    rows, columns = ["A", "B"][: rng.randint(1, 2)], ["1", "2", "10"][: rng.randint(1, 3)]
    acquisitions = [{"id": i, "name": f"acq{i}", "start_time": 100 * i, "end_time": 100 * i + 50}
                    for i in range(rng.randint(0, 2))]
    wells = []
    for row in rows:
        for column in columns:
            if rng.random() < 0.5 or not wells:
                image = {"path": "fov1", "array_settings": _array(rng, None, force_ngff=True)}
                if acquisitions and rng.random() < 0.5:
                    image["acquisition_id"] = acquisitions[-1]["id"]
                wells.append({"row_name": row, "column_name": column, "images": [image]})
    return {"path": rng.choice(["plate", "hcs/plate1"]), "name": "fuzz plate",
            "row_names": rows, "column_names": columns, "wells": wells[:2],
            "acquisitions": acquisitions}


def _store(rng) -> dict:
    """Where the store goes, relative to the case's sandbox (the worker's
    working directory is sandbox/work)."""
    spelling = rng.choice([
        "{sandbox}/store.zarr", "{sandbox}//store.zarr", "{sandbox}/./store.zarr/",
        "{sandbox}/work/../store.zarr", "store.zarr", "./store.zarr", "../store.zarr",
        "sub/../store.zarr", "{sandbox}/new/deeper/store.zarr", "{sandbox}/store.zarr",
    ])
    return {"path": spelling, "existing": rng.random() < 0.35,
            "existing_v2": rng.random() < 0.5, "pathlib": rng.random() < 0.15}


def base_case(rng: random.Random) -> dict:
    v2 = rng.random() < 0.3
    n_arrays = rng.choice([1, 1, 1, 1, 2, 2, 3])
    with_plate = rng.random() < 0.1
    if n_arrays == 1 and not with_plate and rng.random() < 0.2:
        keys = [""]  # the array is the store's root
    else:
        pool = ["a", "img", "cam_0", "x.y-z", "A1", "g/arr", "deep/er/arr", "old2"]
        keys = rng.sample(pool, n_arrays)
    stream = {
        "version": enum("ZarrVersion.V2" if v2 else "ZarrVersion.V3"),
        "max_threads": rng.choice([0, 1, 1, 2, 2, 3]),
        "overwrite": rng.random() < 0.5,
        "arrays": [_array(rng, k) for k in keys],
    }
    if with_plate:
        stream["plates"] = [_plate(rng, v2)]
        if rng.random() < 0.3:
            stream["arrays"] = []
    only = stream["arrays"][0] if stream["arrays"] else {}
    if (len(keys) == 1 and not with_plate and "storage_dimension_order" not in only
            and rng.random() < 0.15):
        # The README's single-array form: it has no is_ngff, max_levels or
        # storage order (a method alone still makes an NGFF image).
        stream["shorthand"] = True
        only["is_ngff"], only["max_levels"] = False, 0
    fields = sum(len(w["images"]) for p in stream.get("plates", []) for w in p["wells"])
    if len(stream["arrays"]) + fields == 1 and rng.random() < 0.15:
        stream["custom_metadata"] = {"exposure_ms": rng.randint(1, 100)}
    store = _store(rng)
    if not stream["overwrite"]:
        store["existing_v2"] = v2  # adding to a store of the other version mixes them
    if keys == [""] and store["existing"]:
        stream["overwrite"] = True  # an array cannot replace the old store's root group
    return {"store": store, "stream": stream}


# ---------------------------------------------------------------------------
# Mutations: each changes one field to an edge or invalid value and returns
# the words a refusal's message should contain (one of them).
# ---------------------------------------------------------------------------


def _all_arrays(case):
    stream = case["stream"]
    arrays = list(stream["arrays"])
    for plate in stream.get("plates", []):
        arrays += [img["array_settings"] for w in plate["wells"] for img in w["images"]]
    return arrays


def _some_array(rng, case):
    arrays = _all_arrays(case)
    return rng.choice(arrays) if arrays else None


def _some_dimension(rng, case):
    a = _some_array(rng, case)
    return (a, rng.choice(a["dimensions"])) if a and a["dimensions"] else (a, None)


def m_dimension_count(rng, case):
    a = _some_array(rng, case)
    n = rng.choice([0, 1, 9, 12, 33])
    a["dimensions"] = [{"name": f"q{i}", "kind": SPACE, "array_size_px": rng.randint(1, 2),
                        "chunk_size_px": 2, "shard_size_chunks": 1} for i in range(n)]
    a.pop("storage_dimension_order", None)
    return ["dimension", "axes", "Space"]


def m_dimension_name(rng, case):
    a, d = _some_dimension(rng, case)
    if d is None:
        return []
    others = [x["name"] for x in a["dimensions"] if x is not d]
    d["name"] = rng.choice(NASTY_NAMES + others + [None, 7])
    return ["name", "dimension", "storage_dimension_order"]


def m_dimension_kind(rng, case):
    _, d = _some_dimension(rng, case)
    if d is None:
        return []
    d["kind"] = rng.choice([TIME, CHANNEL, OTHER, SPACE, 2, "SPACE", None])
    return ["type", "kind", "OME-NGFF", "Space"]


def m_size(rng, case):
    _, d = _some_dimension(rng, case)
    if d is None:
        return []
    field = rng.choice(["array_size_px", "chunk_size_px", "shard_size_chunks"])
    d[field] = rng.choice([0, 0, 1, 1, 2, 1000, 4096, 65536, 2**20, -1, 2.5, "3", True, None]
                          + HUGE)
    return [field, "chunk", "shard", "memory", "MiB", "layer", "overflow", "large"]


def m_data_type(rng, case):
    a = _some_array(rng, case)
    a["data_type"] = rng.choice([{"numpy": "bool_"}, {"numpy": "complex64"}, "float16",
                                 ">u2", "<i8", "S3", 11, -1, None, "UINT16", "object",
                                 {"enum": "DataType.FLOAT64"}])
    return ["data_type", "dtype"]


def m_compression(rng, case):
    a = _some_array(rng, case)
    c = a.get("compression") or {"compressor": enum("Compressor.BLOSC1"),
                                 "codec": enum("CompressionCodec.BLOSC_LZ4"),
                                 "level": 1, "shuffle": 1}
    a["compression"] = c
    field = rng.choice(["compressor", "codec", "level", "shuffle"])
    c[field] = {
        "compressor": [enum("Compressor.NONE"), enum("Compressor.ZSTD"), enum("Compressor.BLOSC1"), 1],
        "codec": [enum("CompressionCodec.NONE"), enum("CompressionCodec.ZSTD"),
                  enum("CompressionCodec.BLOSC_ZSTD"), "lz4"],
        "level": [0, 9, 10, 22, 23, 255, 256, -1],
        "shuffle": [0, 2, 3, 255, 256, -1],
    }[field][rng.randrange(4)]
    return ["compress", "codec", "level", "shuffle"]


def m_output_key(rng, case):
    arrays = case["stream"]["arrays"]
    if not arrays:
        return m_plate(rng, case)
    a = rng.choice(arrays)
    other = [x["output_key"] for x in arrays if x is not a and isinstance(x["output_key"], str)]
    nested = [o + "/in" for o in other if o]
    a["output_key"] = rng.choice(NASTY_NAMES + ["old", "old/x", "g/zarr.json", "a/", "/a/",
                                                "\u00e9/a", "k/" + "z" * 300, None, 5]
                                 + other + nested)
    return ["output_key", "key", "arrays"]


def m_store_path(rng, case):
    case["store"]["path"] = rng.choice([
        "", ".", "..", "./", "../", "work/..", "{sandbox}/work/..", "{sandbox}/work/.",
        "/", "//", "/.", "/./", "/tmp/..", "///.", "{sandbox}/file.txt",
        "{sandbox}/file.txt/store.zarr", "{sandbox}/st\x00ore.zarr", "{sandbox}/\x00",
        "{sandbox}/st\udcffore.zarr", "{sandbox}/st\ud800ore.zarr", "{sandbox}/" + "p" * 300,
        "{sandbox}/caf\u00e9.zarr", "{sandbox}/a b.zarr", 3, None,
    ])
    return ["store_path", "root", "working directory", "store directory"]


def m_downsampling(rng, case):
    a = _some_array(rng, case)
    a["downsampling_method"] = rng.choice([enum(f"DownsamplingMethod.{m}") for m in METHODS]
                                          + [None, 2, "MEAN"])
    a["max_levels"] = rng.choice([0, 1, 5, U32, 2**32, -1, None])
    a["is_ngff"] = rng.choice([True, False, 1, "yes"])
    return ["downsampling", "max_levels", "is_ngff", "OME-NGFF", "axes", "axis"]


def m_storage_order(rng, case):
    a = _some_array(rng, case)
    names = [d.get("name") for d in a["dimensions"]]
    order = list(names)
    rng.shuffle(order)
    a["storage_dimension_order"] = rng.choice([
        order, order[:-1], order + order[:1], [], ["nope"] + order[1:], [0, 1], names,
        names[::-1], "tyx", None])
    return ["storage_dimension_order", "OME-NGFF"]


def m_plate(rng, case):
    stream = case["stream"]
    if not stream.get("plates"):
        stream["plates"] = [_plate(rng, False)]
    plate = stream["plates"][0]
    well = plate["wells"][0]
    image = well["images"][0] if well["images"] else None
    choice = rng.randrange(10)
    if choice == 0:
        plate["path"] = rng.choice(NASTY_NAMES + [None])
    elif choice == 1:
        plate["row_names"] = rng.choice([[], ["A", "A"], ["a-1"], [""], ["\u00c4"], ["A\x00"]])
    elif choice == 2:
        well["row_name"] = rng.choice(["Z", "", "A\x00B", "a"])
    elif choice == 3:
        well["column_name"] = rng.choice(["99", "", "1/2"])
    elif choice == 4:
        plate["wells"].append(dict(well))
    elif choice == 5 and image:
        image["path"] = rng.choice(NASTY_NAMES + ["f/g"])
    elif choice == 6 and image:
        image["acquisition_id"] = rng.choice([99, -1, U32, 2**32])
    elif choice == 7:
        plate["acquisitions"] = [{"id": 1, "start_time": 10, "end_time": 5}]
    elif choice == 8 and image:
        image["array_settings"]["output_key"] = rng.choice(["set", "", None])
    else:
        plate["acquisitions"] = [{"id": 1}, {"id": 1}]
    # (More fields of view make custom_metadata ambiguous: that may be named.)
    return ["plate", "row", "column", "well", "path", "acquisition", "images", "output_key",
            "field", "dimension", "custom_metadata"]


def m_max_threads(rng, case):
    case["stream"]["max_threads"] = rng.choice([0, 4096, 4097, 40000, U32, 2**32, -1, 1.5])
    return ["max_threads", "thread"]


def m_scale_unit(rng, case):
    _, d = _some_dimension(rng, case)
    if d is None:
        return []
    if rng.random() < 0.5:
        d["scale"] = rng.choice([0, -1.0, float("nan"), float("inf"), 1e-300, 1e300, "1"])
    else:
        d["unit"] = rng.choice(["", "\u00b5m", "m\x00", "\udcff", "u" * 1000, 3])
    return ["scale", "unit"]


def m_version(rng, case):
    case["stream"]["version"] = rng.choice([2, 3, enum("ZarrVersion.V2"), None, "V3"])
    return ["version"]


def m_custom_metadata(rng, case):
    case["stream"]["custom_metadata"] = rng.choice([
        {"ome": 1}, {"multiscales": []}, "[1, 2]", "not json", '{"a": 1}', {"s": "\udcff"},
        '{"a": "\x00"}', {"k": "v"}, 5])
    return ["custom_metadata", "custom metadata", "JSON", "key", "ome"]


def m_overwrite(rng, case):
    case["stream"]["overwrite"] = rng.choice([True, False, 0, 1, 2, "yes", None])
    return ["overwrite"]


MUTATIONS = [m_dimension_count, m_dimension_name, m_dimension_kind, m_size, m_size, m_size,
             m_data_type, m_compression, m_output_key, m_output_key, m_store_path,
             m_store_path, m_downsampling, m_storage_order, m_plate, m_max_threads,
             m_scale_unit, m_version, m_custom_metadata, m_overwrite]


def make_case(seed: int, index: int) -> dict:
    rng = random.Random(f"{seed}:{index}")
    case = base_case(rng)
    count = rng.choice([0, 1, 1, 1, 2, 3])
    case["mutations"], case["words"] = [], []
    for _ in range(count):
        mutate = rng.choice(MUTATIONS)
        if mutate is not m_store_path and not _all_arrays(case):
            continue
        case["words"] += mutate(rng, case)
        case["mutations"].append(mutate.__name__[2:])
    case["seed"], case["index"] = seed, index
    case["data_seed"] = rng.randrange(2**32)
    return case
