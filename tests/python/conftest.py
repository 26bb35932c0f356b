"""Shared helpers for the acquire_zarr pytest suite.

Every test writes with ``acquire_zarr`` and reads the result back with
independent readers: zarr-python 3, TensorStore, and a hand-written decoder of
the on-disk chunk / shard files (numcodecs for the compressed payloads,
google-crc32c for the shard index checksum).  The raw metadata documents are
checked against ``../shared/spec/FORMAT.md``.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import google_crc32c
import numcodecs
import numpy as np
import pytest
import tensorstore as ts
import zarr

import acquire_zarr as aqz

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

DTYPES = [
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "float32",
    "float64",
]

VERSIONS = ["v2", "v3"]

EMPTY = 2**64 - 1  # shard index entry of an absent chunk


def zarr_version(v: str):
    """"v2"/"v3" -> aqz.ZarrVersion (looked up lazily so a missing member fails
    the test that needs it rather than the whole collection)."""
    return getattr(aqz.ZarrVersion, {"v2": "V2", "v3": "V3"}[v])


def aqz_dtype(name: str):
    return getattr(aqz.DataType, name.upper())


def default_kind(name: str):
    return {
        "t": aqz.DimensionType.TIME,
        "c": aqz.DimensionType.CHANNEL,
        "o": aqz.DimensionType.OTHER,
    "o2": aqz.DimensionType.OTHER,
    }.get(name, aqz.DimensionType.SPACE)


@dataclass(frozen=True)
class Codec:
    """One compression configuration and what it must look like on disk."""

    kind: str = "none"  # none | blosc-lz4 | blosc-zstd | zstd
    level: int = 1
    shuffle: int = 1

    def __str__(self) -> str:
        if self.kind == "none":
            return "none"
        if self.kind == "zstd":
            return f"zstd-l{self.level}"
        return f"{self.kind}-l{self.level}-s{self.shuffle}"

    @property
    def cname(self) -> str:
        return {"blosc-lz4": "lz4", "blosc-zstd": "zstd"}[self.kind]

    def settings(self):
        if self.kind == "none":
            return None
        if self.kind == "zstd":
            return aqz.CompressionSettings(
                compressor=aqz.Compressor.ZSTD,
                codec=aqz.CompressionCodec.ZSTD,
                level=self.level,
                shuffle=0,
            )
        codec = {
            "blosc-lz4": aqz.CompressionCodec.BLOSC_LZ4,
            "blosc-zstd": aqz.CompressionCodec.BLOSC_ZSTD,
        }[self.kind]
        return aqz.CompressionSettings(
            compressor=aqz.Compressor.BLOSC1,
            codec=codec,
            level=self.level,
            shuffle=self.shuffle,
        )

    # ---- expected metadata -------------------------------------------------
    def v3_codecs(self, itemsize: int) -> list:
        if self.kind == "none":
            return []
        if self.kind == "zstd":
            return [
                {
                    "name": "zstd",
                    "configuration": {"level": self.level, "checksum": False},
                }
            ]
        return [
            {
                "name": "blosc",
                "configuration": {
                    "cname": self.cname,
                    "clevel": self.level,
                    "shuffle": ["noshuffle", "shuffle", "bitshuffle"][self.shuffle],
                    "typesize": itemsize,
                    "blocksize": 0,
                },
            }
        ]

    def check_v2_compressor(self, comp) -> None:
        if self.kind == "none":
            assert comp is None, f"expected compressor null, got {comp!r}"
            return
        assert isinstance(comp, dict), comp
        if self.kind == "zstd":
            assert comp.get("id") == "zstd", comp
            assert comp.get("level") == self.level, comp
            assert set(comp) <= {"id", "level", "checksum"}, comp
            assert comp.get("checksum", False) is False, comp
            return
        want = {
            "id": "blosc",
            "cname": self.cname,
            "clevel": self.level,
            "shuffle": self.shuffle,
            "blocksize": 0,
        }
        assert {k: comp.get(k) for k in want} == want, comp
        assert set(comp) <= set(want) | {"typesize"}, comp

    # ---- payload decoding --------------------------------------------------
    def decode(self, raw: bytes, itemsize: int) -> bytes:
        """Decode one stored chunk, checking the codec's own header."""
        if self.kind == "none":
            return bytes(raw)
        if self.kind == "zstd":
            assert raw[:4] == b"\x28\xb5\x2f\xfd", "not a zstd frame"
            # Frame_Header_Descriptor bit 2 = Content_Checksum_flag: checksum false
            assert (raw[4] >> 2) & 1 == 0, "zstd frame carries a checksum"
            return bytes(numcodecs.Zstd().decode(raw))
        # Blosc1 header: version, versionlz, flags, typesize, nbytes, blocksize, cbytes
        assert len(raw) >= 16, "truncated blosc header"
        flags, typesize = raw[2], raw[3]
        _nbytes, _blocksize, cbytes = struct.unpack("<III", raw[4:16])
        assert cbytes == len(raw), f"blosc cbytes {cbytes} != stored size {len(raw)}"
        assert typesize == itemsize, f"blosc typesize {typesize} != {itemsize}"
        memcpyed = bool(flags & 0x2)
        if not memcpyed:
            compcode = (flags >> 5) & 0x7
            want = {"lz4": 1, "zstd": 4}[self.cname]
            assert compcode == want, f"blosc compcode {compcode}, want {want} ({self.cname})"
            if self.shuffle == 0:
                assert flags & 0x5 == 0, f"blosc flags {flags:#x}: unexpected shuffle"
            elif self.shuffle == 1:
                assert flags & 0x1 and not flags & 0x4, f"blosc flags {flags:#x}: no byte shuffle"
            else:
                assert flags & 0x4, f"blosc flags {flags:#x}: no bitshuffle"
        return bytes(numcodecs.Blosc().decode(raw))


NONE = Codec("none")
LZ4 = Codec("blosc-lz4", 1, 1)
BZSTD = Codec("blosc-zstd", 1, 1)
ZSTD = Codec("zstd", 1, 0)


@dataclass
class ArraySpec:
    """An array to stream and the ground truth of what must come out.

    ``shape`` is the expected final (logical) shape. ``dim0_size`` is the
    ``array_size_px`` of the first dimension: 0 = unbounded; ``None`` means
    unbounded for 3+ dimensions and ``shape[0]`` for a 2-D single image.
    """

    shape: tuple
    chunks: tuple
    shards: Optional[tuple] = None
    dtype: str = "uint16"
    key: str = ""
    codec: Codec = NONE
    dim0_size: Optional[int] = None
    names: Optional[Sequence[str]] = None
    units: Optional[Sequence[Optional[str]]] = None
    scales: Optional[Sequence[float]] = None

    def __post_init__(self):
        self.shape = tuple(self.shape)
        self.chunks = tuple(self.chunks)
        nd = len(self.shape)
        assert len(self.chunks) == nd
        if self.shards is None:
            self.shards = (1,) * nd
        self.shards = tuple(self.shards)
        if self.names is None:
            self.names = {
                2: ["y", "x"],
                3: ["t", "y", "x"],
                4: ["t", "c", "y", "x"],
                5: ["t", "c", "z", "y", "x"],
            }.get(nd) or [f"d{i}" for i in range(nd - 2)] + ["y", "x"]
        if self.dim0_size is None:
            self.dim0_size = 0 if nd > 2 else self.shape[0]

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    @property
    def stored_shards(self) -> tuple:
        """Chunks per shard as stored: a bounded axis never has more than it
        has chunks (the engine cuts shards to the array)."""
        sizes = [self.dim0_size] + list(self.shape[1:])
        return tuple(s if n == 0 else min(s, -(-n // c))
                     for s, n, c in zip(self.shards, sizes, self.chunks))

    @property
    def frame_shape(self) -> tuple:
        return self.shape[-2:]

    @property
    def n_frames(self) -> int:
        return math.prod(self.shape[:-2])

    @property
    def frame_nbytes(self) -> int:
        return math.prod(self.frame_shape) * self.np_dtype.itemsize

    def dimensions(self):
        dims = []
        for i, (name, n, c, s) in enumerate(
            zip(self.names, self.shape, self.chunks, self.shards)
        ):
            kw = dict(
                name=name,
                kind=default_kind(name),
                array_size_px=self.dim0_size if i == 0 else n,
                chunk_size_px=c,
                shard_size_chunks=s,
            )
            if self.units is not None and self.units[i] is not None:
                kw["unit"] = self.units[i]
            if self.scales is not None:
                kw["scale"] = self.scales[i]
            dims.append(aqz.Dimension(**kw))
        return dims

    def settings(self):
        kw = dict(
            output_key=self.key,
            dimensions=self.dimensions(),
            data_type=aqz_dtype(self.dtype),
        )
        comp = self.codec.settings()
        if comp is not None:
            kw["compression"] = comp
        return aqz.ArraySettings(**kw)


def stream_settings(store: Path, specs, version: str = "v3", **kw):
    if isinstance(specs, ArraySpec):
        specs = [specs]
    kw.setdefault("overwrite", True)
    return aqz.StreamSettings(
        store_path=str(store),
        version=zarr_version(version),
        arrays=[s.settings() for s in specs],
        **kw,
    )


def write_arrays(store: Path, items, version: str = "v3", **kw):
    """items: list of (spec, data); appends each data whole (with key when
    there is more than one array) and closes the stream."""
    specs = [s for s, _ in items]
    stream = aqz.ZarrStream(stream_settings(store, specs, version, **kw))
    for spec, data in items:
        if len(items) > 1:
            stream.append(data, key=spec.key)
        else:
            stream.append(data)
    stream.close()
    return stream


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def random_data(shape, dtype, seed: int = 0) -> np.ndarray:
    """Random values over the type's range: negative ints, extremes, and for
    floats negatives, tiny/huge magnitudes, NaN and +-inf."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind in "ui":
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
        flat = a.reshape(-1)
        if flat.size >= 3:
            flat[0], flat[1], flat[-1] = info.min, info.max, 0
        return a
    a = (rng.standard_normal(size=shape) * 1e3).astype(dt)
    flat = a.reshape(-1)
    if flat.size >= 6:
        flat[0], flat[1], flat[2] = np.nan, np.inf, -np.inf
        flat[3], flat[4] = np.finfo(dt).max, -np.finfo(dt).tiny
    return a


def pad_to(a: np.ndarray, shape) -> np.ndarray:
    out = np.zeros(shape, dtype=a.dtype)
    out[tuple(slice(0, n) for n in a.shape)] = a
    return out


def frames_to_rows(frames: np.ndarray, spec: ArraySpec) -> np.ndarray:
    """Ground truth for a stream stopped after ``len(frames)`` frames: the
    first dimension is the rows written rounded up, missing frames are 0."""
    per_row = math.prod(spec.shape[1:-2])
    rows = -(-len(frames) // per_row) if per_row else 0
    full = np.zeros((rows * per_row,) + tuple(spec.frame_shape), spec.np_dtype)
    full[: len(frames)] = frames
    return full.reshape((rows,) + tuple(spec.shape[1:]))


# --------------------------------------------------------------------------
# Paths and metadata
# --------------------------------------------------------------------------


def node_path(store: Path, key: str) -> Path:
    return Path(store) / key if key else Path(store)


def load_json(p: Path) -> dict:
    assert p.is_file(), f"missing metadata file {p}"
    with open(p) as f:
        return json.load(f)


def array_meta(store: Path, key: str, version: str) -> dict:
    p = node_path(store, key)
    return load_json(p / ("zarr.json" if version == "v3" else ".zarray"))


def node_attrs(store: Path, key: str, version: str) -> dict:
    """The node's attributes as written on disk (v3 zarr.json attributes; v2
    .zattrs, absent = {})."""
    p = node_path(store, key)
    if version == "v3":
        return load_json(p / "zarr.json").get("attributes", {})
    za = p / ".zattrs"
    return load_json(za) if za.exists() else {}


def assert_group(store: Path, key: str, version: str) -> None:
    p = node_path(store, key)
    if version == "v3":
        m = load_json(p / "zarr.json")
        assert m.get("zarr_format") == 3, m
        assert m.get("node_type") == "group", m
        assert isinstance(m.get("attributes", {}), dict), m
        assert not (p / ".zgroup").exists()
    else:
        m = load_json(p / ".zgroup")
        assert m == {"zarr_format": 2}, m
        assert not (p / "zarr.json").exists()
    g = zarr.open_group(str(p), mode="r", zarr_format=3 if version == "v3" else 2)
    assert isinstance(g, zarr.Group)


def intermediate_groups(key: str):
    parts = key.split("/") if key else []
    return ["/".join(parts[:i]) for i in range(len(parts))]


def check_array_metadata(store: Path, spec: ArraySpec, version: str, shape=None) -> dict:
    shape = list(spec.shape if shape is None else shape)
    meta = array_meta(store, spec.key, version)
    dt = spec.np_dtype
    if version == "v3":
        assert meta["zarr_format"] == 3
        assert meta["node_type"] == "array"
        assert meta["shape"] == shape, f"shape {meta['shape']} != {shape}"
        assert meta["data_type"] == dt.name
        shard_shape = [c * s for c, s in zip(spec.chunks, spec.stored_shards)]
        assert meta["chunk_grid"] == {
            "name": "regular",
            "configuration": {"chunk_shape": shard_shape},
        }, meta["chunk_grid"]
        assert meta["chunk_key_encoding"] == {
            "name": "default",
            "configuration": {"separator": "/"},
        }, meta["chunk_key_encoding"]
        assert meta["fill_value"] == 0 and not isinstance(meta["fill_value"], bool)
        assert meta["dimension_names"] == list(spec.names)
        assert isinstance(meta.get("attributes", {}), dict)
        codecs = meta["codecs"]
        assert len(codecs) == 1 and codecs[0]["name"] == "sharding_indexed", codecs
        cfg = codecs[0]["configuration"]
        assert cfg["chunk_shape"] == list(spec.chunks)
        inner = cfg["codecs"]
        assert inner[0]["name"] == "bytes", inner
        endian = inner[0].get("configuration", {}).get("endian")
        if dt.itemsize > 1:
            assert endian == "little", inner[0]
        else:
            assert endian in (None, "little"), inner[0]
        assert inner[1:] == spec.codec.v3_codecs(dt.itemsize), inner
        idx = cfg["index_codecs"]
        assert len(idx) == 2, idx
        assert idx[0]["name"] == "bytes" and idx[0].get("configuration", {}).get("endian") == "little", idx
        assert idx[1]["name"] == "crc32c", idx
        assert cfg["index_location"] == "end"
    else:
        assert meta["zarr_format"] == 2
        assert meta["shape"] == shape, f"shape {meta['shape']} != {shape}"
        assert meta["chunks"] == list(spec.chunks)
        assert meta["dtype"] == dt.str, f"dtype {meta['dtype']} != {dt.str}"
        spec.codec.check_v2_compressor(meta["compressor"])
        assert meta["fill_value"] == 0 and not isinstance(meta["fill_value"], bool)
        assert meta["order"] == "C"
        assert meta["filters"] is None
        assert meta["dimension_separator"] == "/"
    node = node_path(store, spec.key)
    other = ".zgroup" if version == "v2" else ".zarray"
    assert not (node / other).exists(), f"{node} is an array but also has {other}"
    if version == "v2":
        assert not (node / "zarr.json").exists()
    return meta


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------


def read_zarr(store: Path, key: str, version: str) -> np.ndarray:
    arr = zarr.open_array(
        str(node_path(store, key)), mode="r", zarr_format=3 if version == "v3" else 2
    )
    return arr[...]


def read_tensorstore(store: Path, key: str, version: str) -> np.ndarray:
    t = ts.open(
        {
            "driver": "zarr3" if version == "v3" else "zarr",
            "kvstore": {"driver": "file", "path": str(node_path(store, key)) + "/"},
        },
        open=True,
        read=True,
    ).result()
    return t.read().result()


def _chunk_files(root: Path) -> set:
    if not root.exists():
        return set()
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name != "zarr.json"
    }


def _assert_no_stray_files(adir: Path, allowed: set) -> None:
    """Only metadata and chunk/shard files below an array node (no temp
    files, no metadata of the other Zarr version)."""
    present = {p.relative_to(adir).as_posix() for p in adir.rglob("*") if p.is_file()}
    stray = sorted(present - allowed)
    assert not stray, f"stray files in array {adir}: {stray[:5]}"


def _block(a: np.ndarray, idx, shape) -> np.ndarray:
    return a[tuple(slice(i * n, (i + 1) * n) for i, n in zip(idx, shape))]


def _check_chunk_payload(raw: bytes, want: np.ndarray, spec: ArraySpec, where: str):
    dec = spec.codec.decode(raw, spec.np_dtype.itemsize)
    assert len(dec) == want.nbytes, f"{where}: decoded {len(dec)} bytes, want {want.nbytes}"
    got = np.frombuffer(dec, dtype=spec.np_dtype.newbyteorder("<")).reshape(want.shape)
    np.testing.assert_array_equal(got, want, err_msg=f"chunk payload {where}")


def parse_shard(data: bytes, n_chunks: int):
    """Split a v3 shard into its index (n, 2) uint64 after verifying the
    index CRC32C.  Returns (index, payload_end)."""
    isize = 16 * n_chunks + 4
    assert len(data) >= isize, f"shard of {len(data)} bytes is shorter than its index ({isize})"
    index_bytes = data[-isize:-4]
    stored_crc = int.from_bytes(data[-4:], "little")
    assert google_crc32c.value(index_bytes) == stored_crc, "shard index crc32c mismatch"
    index = np.frombuffer(index_bytes, dtype="<u8").reshape(n_chunks, 2)
    return index, len(data) - isize


def verify_raw_chunks(store: Path, spec: ArraySpec, version: str, expected: np.ndarray):
    """Decode every chunk / shard file ourselves, including the zero padding
    of edge chunks beyond the logical shape."""
    adir = node_path(store, spec.key)
    if version == "v2":
        grid = [-(-n // c) for n, c in zip(expected.shape, spec.chunks)]
        padded = pad_to(expected, [g * c for g, c in zip(grid, spec.chunks)])
        files = _chunk_files(adir)
        want_files = {"/".join(map(str, i)) for i in itertools.product(*map(range, grid))}
        assert files <= want_files, f"unexpected chunk files {sorted(files - want_files)[:5]}"
        _assert_no_stray_files(adir, want_files | {".zarray", ".zattrs"})
        for cidx in itertools.product(*map(range, grid)):
            want = _block(padded, cidx, spec.chunks)
            f = adir.joinpath(*map(str, cidx))
            if not f.exists():
                assert np.all(want == 0), f"chunk {cidx} missing but data is non-zero"
                continue
            _check_chunk_payload(f.read_bytes(), want, spec, f"v2 chunk {cidx}")
        return
    shard_shape = [c * s for c, s in zip(spec.chunks, spec.stored_shards)]
    grid = [-(-n // s) for n, s in zip(expected.shape, shard_shape)]
    padded = pad_to(expected, [g * s for g, s in zip(grid, shard_shape)])
    files = _chunk_files(adir / "c")
    want_files = {"/".join(map(str, i)) for i in itertools.product(*map(range, grid))}
    assert files <= want_files, f"unexpected shard files {sorted(files - want_files)[:5]}"
    _assert_no_stray_files(adir, {"c/" + f for f in want_files} | {"zarr.json"})
    n_inner = math.prod(spec.stored_shards)
    for sidx in itertools.product(*map(range, grid)):
        shard = _block(padded, sidx, shard_shape)
        f = adir.joinpath("c", *map(str, sidx))
        if not f.exists():
            assert np.all(shard == 0), f"shard {sidx} missing but data is non-zero"
            continue
        data = f.read_bytes()
        index, payload_end = parse_shard(data, n_inner)
        spans = []
        for k, cidx in enumerate(itertools.product(*map(range, spec.stored_shards))):
            off, nb = (int(x) for x in index[k])
            want = _block(shard, cidx, spec.chunks)
            where = f"shard {sidx} inner chunk {cidx}"
            if off == EMPTY or nb == EMPTY:
                assert off == nb == EMPTY, f"{where}: half-empty index entry ({off}, {nb})"
                assert np.all(want == 0), f"{where}: absent but data is non-zero"
                continue
            assert off + nb <= payload_end, f"{where}: ({off}, {nb}) overruns payload end {payload_end}"
            _check_chunk_payload(data[off : off + nb], want, spec, where)
            spans.append((off, nb))
        spans.sort()
        for (o1, n1), (o2, _) in zip(spans, spans[1:]):
            assert o1 + n1 <= o2, f"shard {sidx}: overlapping chunks at {o1}+{n1} > {o2}"


def first_chunk_bytes(store: Path, spec: ArraySpec, version: str) -> bytes:
    """The stored (encoded) bytes of chunk (0, 0, ...)."""
    adir = node_path(store, spec.key)
    zeros = ["0"] * len(spec.shape)
    if version == "v2":
        return adir.joinpath(*zeros).read_bytes()
    data = adir.joinpath("c", *zeros).read_bytes()
    index, _ = parse_shard(data, math.prod(spec.stored_shards))
    off, nb = (int(x) for x in index[0])
    assert off != EMPTY, "first chunk absent"
    return data[off : off + nb]


def assert_really_compressed(store: Path, spec: ArraySpec, version: str, expected: np.ndarray) -> None:
    """Chunk (0, ...) is compressed whenever numcodecs, with the same codec
    parameters, compresses it: not stored raw nor as a memcpy'ed blosc block."""
    c = spec.codec
    chunk = np.ascontiguousarray(pad_to(expected, [max(n, k) for n, k in zip(expected.shape, spec.chunks)])[
        tuple(slice(0, k) for k in spec.chunks)
    ])
    if c.kind == "zstd":
        ref = numcodecs.Zstd(level=c.level).encode(chunk)
    else:
        ref = numcodecs.Blosc(cname=c.cname, clevel=c.level, shuffle=c.shuffle).encode(chunk)
    if len(ref) >= chunk.nbytes or (c.kind != "zstd" and ref[2] & 0x2):
        pytest.fail(f"test data not compressible with {c}: pick other data")
    raw = first_chunk_bytes(store, spec, version)
    assert len(raw) < chunk.nbytes, f"chunk not compressed: {len(raw)} >= {chunk.nbytes} (numcodecs: {len(ref)})"
    if c.kind.startswith("blosc"):
        assert not raw[2] & 0x2, "blosc stored the chunk uncompressed (memcpy flag)"


def verify_array(store: Path, spec: ArraySpec, version: str, expected: np.ndarray):
    """Metadata, zarr-python, TensorStore and raw-chunk checks of one array."""
    expected = np.asarray(expected, dtype=spec.np_dtype)
    check_array_metadata(store, spec, version, shape=expected.shape)
    for g in intermediate_groups(spec.key):
        assert_group(store, g, version)
    got_z = read_zarr(store, spec.key, version)
    assert got_z.shape == expected.shape
    assert got_z.dtype == spec.np_dtype
    np.testing.assert_array_equal(got_z, expected, err_msg="zarr-python readback")
    got_t = read_tensorstore(store, spec.key, version)
    assert got_t.shape == expected.shape
    assert got_t.dtype == spec.np_dtype
    np.testing.assert_array_equal(got_t, expected, err_msg="TensorStore readback")
    verify_raw_chunks(store, spec, version, expected)


def tree_snapshot(root: Path) -> dict:
    """{relative path: bytes} of every file below root."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_log_level():
    before = aqz.get_log_level()
    yield
    aqz.set_log_level(before)


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "out.zarr"


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param
