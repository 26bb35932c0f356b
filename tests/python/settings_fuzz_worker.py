"""Runs settings fuzz cases (settings_fuzz_gen) for test_settings_fuzz.py.

Started as a child process: it reads one case per line (JSON) on stdin and
writes one result per line on the protocol pipe (fd 1 as started; the
engine's and Python's own output go to stderr). A crash, abort or hang
kills only this process; the parent reports the case and starts another.

For each case: either creating the stream is refused with a documented
exception whose message names a field, and the sandbox (the store, its
parent, an old store there) is exactly as it was; or the stream is created,
some frames of known content are appended (in pieces, past the end of a
bounded array too), it is closed, and every array is read back with
zarr-python (every fourth case also with TensorStore and a raw chunk
decoder via conftest.verify_array / pyramid_reference.verify_image).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import resource
import shutil
import signal
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# Address space for the interpreter and its readers plus this much: a stream
# whose buffers need more fails to allocate (and must say so) instead of
# swapping the machine. ASan reserves terabytes of shadow memory, so there
# the limit is left off.
MEMORY_HEADROOM = 1536 << 20
# Per array and case, to keep a case fast: what is offered, and the chunk
# (v2) or shard (v3) files it may fill (this machine needs milliseconds per
# file to create and remove it; 1-pixel chunks make thousands).
MAX_OFFERED_BYTES = 1 << 20
MAX_FILES = 512
# Streams estimated bigger than this are only estimated: their buffers
# would not fit in MEMORY_HEADROOM next to what writing them allocates.
MAX_STREAM_BYTES = 512 << 20

# A refusal's message must name one of these (and, more precisely, one of
# the words the case's mutations declared).
FIELD_WORDS = ["store_path", "output_key", "dimension", "name", "type", "kind",
               "array_size_px", "chunk", "shard", "data_type", "dtype", "compress",
               "codec", "level", "shuffle", "downsampling", "max_levels", "is_ngff",
               "storage_dimension_order", "plate", "well", "row", "column",
               "acquisition", "path", "max_threads", "thread", "version", "scale",
               "unit", "custom", "metadata", "overwrite", "memory", "MiB", "key",
               "OME-NGFF", "arrays", "root", "directory"]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        return
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = vm * 1024 + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


sys.path.insert(0, HERE)
import numpy as np  # noqa: E402
import zarr  # noqa: E402

import acquire_zarr as aqz  # noqa: E402
import conftest  # noqa: E402
import pyramid_reference as pr  # noqa: E402

# ---------------------------------------------------------------------------
# Building the settings objects from a case
# ---------------------------------------------------------------------------


def _value(v):
    if isinstance(v, dict) and set(v) == {"enum"}:
        cls, member = v["enum"].split(".")
        return getattr(getattr(aqz, cls), member)
    if isinstance(v, dict) and set(v) == {"numpy"}:
        return getattr(np, v["numpy"])
    return v


def _array_settings(a: dict) -> "aqz.ArraySettings":
    kw = {k: _value(v) for k, v in a.items() if k not in ("dimensions", "compression")}
    kw["dimensions"] = [aqz.Dimension(**{k: _value(v) for k, v in d.items()})
                        for d in a["dimensions"]]
    if a.get("compression") is not None:
        kw["compression"] = aqz.CompressionSettings(
            **{k: _value(v) for k, v in a["compression"].items()})
    return aqz.ArraySettings(**kw)


def _plate(p: dict) -> "aqz.Plate":
    wells = []
    for w in p["wells"]:
        images = [aqz.FieldOfView(path=i["path"], acquisition_id=i.get("acquisition_id"),
                                  array_settings=_array_settings(i["array_settings"]))
                  for i in w["images"]]
        wells.append(aqz.Well(row_name=w["row_name"], column_name=w["column_name"],
                              images=images))
    return aqz.Plate(path=p["path"], name=p["name"], row_names=p["row_names"],
                     column_names=p["column_names"], wells=wells,
                     acquisitions=[aqz.Acquisition(**a) for a in p["acquisitions"]])


def build_settings(stream: dict, store_path) -> "aqz.StreamSettings":
    kw = {k: _value(stream[k]) for k in ("version", "max_threads", "overwrite")}
    if "custom_metadata" in stream:
        kw["custom_metadata"] = stream["custom_metadata"]
    kw["plates"] = [_plate(p) for p in stream.get("plates", [])]
    if stream.get("shorthand"):
        a = _array_settings(stream["arrays"][0])
        for name in ("output_key", "dimensions", "data_type", "compression",
                     "downsampling_method"):
            kw[name] = getattr(a, name)
    else:
        kw["arrays"] = [_array_settings(a) for a in stream["arrays"]]
    return aqz.StreamSettings(store_path=store_path, **kw)


# ---------------------------------------------------------------------------
# The disk: snapshots of the sandbox, an old store to overwrite or add to
# ---------------------------------------------------------------------------


def snapshot(root: str) -> dict:
    """{relative path: "dir" or (size, sha1)} of everything below root."""
    found = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            if os.path.isdir(path) and not os.path.islink(path):
                found[rel] = "dir"
            else:
                with open(path, "rb") as f:
                    data = f.read()
                found[rel] = (len(data), hashlib.sha1(data).hexdigest())
    return found


def _diff(before: dict, after: dict) -> str:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return f"added {added[:6]}, removed {removed[:6]}, changed {changed[:6]}"


_templates: dict = {}


def old_store(base: str, v2: bool) -> str:
    """A store written once per worker: array 'old' (2 frames of 7s) and a
    file that is not the engine's; copied to where a case wants one."""
    if v2 not in _templates:
        # One per worker: workers share `base`.
        path = os.path.join(base, f"template-{os.getpid()}-v{2 if v2 else 3}.zarr")
        dims = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=4,
                              shard_size_chunks=1)
                for n, k, s in (("t", aqz.DimensionType.TIME, 0),
                                ("y", aqz.DimensionType.SPACE, 4),
                                ("x", aqz.DimensionType.SPACE, 4))]
        settings = aqz.StreamSettings(
            store_path=path, overwrite=True,
            version=aqz.ZarrVersion.V2 if v2 else aqz.ZarrVersion.V3,
            arrays=[aqz.ArraySettings(output_key="old", data_type=np.uint16, dimensions=dims)])
        with aqz.ZarrStream(settings) as stream:
            stream.append(np.full((2, 4, 4), 7, np.uint16))
        with open(os.path.join(path, "note.txt"), "w") as f:
            f.write("not ours")
        _templates[v2] = path
    return _templates[v2]


def check_old_store(store: str, v2: bool, replaced: bool, problems: list) -> None:
    note = os.path.join(store, "note.txt")
    if replaced:
        if os.path.exists(note):
            problems.append("overwrite=True kept the old store's note.txt")
        return
    if not os.path.exists(note) or open(note).read() != "not ours":
        problems.append("overwrite=False lost or changed the old store's note.txt")
    old = zarr.open_array(os.path.join(store, "old"), mode="r", zarr_format=2 if v2 else 3)
    if old.shape != (2, 4, 4) or not np.all(old[...] == 7):
        problems.append(f"overwrite=False changed the old array: shape {old.shape}")


# ---------------------------------------------------------------------------
# One array's plan: what to append, and what must then be read back
# ---------------------------------------------------------------------------


class ArrayModel:
    """Acquisition-order geometry of one array, the bytes offered to it and
    how many the engine must have accepted."""

    def __init__(self, key: str, a: "aqz.ArraySettings", fov: bool, rng, version: str):
        self.key, self.version = key, version
        dims = list(a.dimensions)
        self.names = [d.name for d in dims]
        self.kinds = [d.kind for d in dims]
        self.sizes = [d.array_size_px for d in dims]
        self.chunks = [d.chunk_size_px for d in dims]
        # As stored: a bounded axis has no more chunks per shard than chunks.
        self.shards = [min(d.shard_size_chunks, -(-d.array_size_px // d.chunk_size_px))
                       if d.array_size_px else d.shard_size_chunks for d in dims]
        self.units = [d.unit for d in dims]
        self.scales = [d.scale for d in dims]
        order = list(a.storage_dimension_order)
        self.order = [self.names.index(n) for n in order] if order else list(range(len(dims)))
        self.method = a.downsampling_method
        self.max_levels = a.max_levels
        self.ngff = fov or a.is_ngff
        self.dtype = np.dtype(a.data_type.name.lower())
        self.codec = _codec(a.compression)
        item = self.dtype.itemsize
        self.frame_bytes = self.sizes[-1] * self.sizes[-2] * item
        bounded = self.sizes[0] != 0
        self.capacity = math.prod(self.sizes) * item if bounded else None
        self.offered = self._offer(rng)
        self.accepted = 0

    def _offer(self, rng) -> np.ndarray:
        """Random bytes: whole frames, a partial last frame, or (bounded)
        exactly the capacity or more than it."""
        layer = self.frame_bytes * math.prod(self.sizes[1:-2]) * max(1, self.chunks[0])
        if self.capacity is not None:
            choices = [self.capacity, self.capacity + 1 + int(rng.integers(self.frame_bytes)),
                       int(rng.integers(self.capacity + 1)), 0]
        else:
            frames = int(rng.integers(0, 2 * layer // max(1, self.frame_bytes) + 2))
            choices = [frames * self.frame_bytes,
                       frames * self.frame_bytes + int(rng.integers(self.frame_bytes)), 0]
        n = min(choices[int(rng.integers(len(choices)))], MAX_OFFERED_BYTES)
        if self._files_for(n) > MAX_FILES:
            n = 0  # creating and closing the stream is still checked
        if self.method is not None and self.dtype.kind == "f":
            # Finite values of a modest range: the float MEAN reference sums
            # in float64, the engine may not; random bits would be NaN soup.
            values = rng.normal(0, 1000, n // self.dtype.itemsize + 1).astype(self.dtype)
            return values.view(np.uint8)[:n].copy()
        return rng.integers(0, 256, n, dtype=np.uint8)

    def _files_for(self, n: int) -> int:
        """How many chunk or shard files `n` bytes may touch, at most."""
        per_file = [c * (s if self.version == "v3" else 1) for c, s in zip(self.chunks, self.shards)]
        if len(self.sizes) == 2:  # one image
            return math.prod(-(-size // f) for size, f in zip(self.sizes, per_file)) if n else 0
        per_layer = math.prod(-(-size // f) for size, f in zip(self.sizes[1:], per_file[1:]))
        frames = -(-n // self.frame_bytes) if self.frame_bytes else 0
        rows = -(-frames // math.prod(self.sizes[1:-2])) if len(self.sizes) > 2 else 1
        return per_layer * -(-rows // per_file[0]) if n else 0

    def pieces(self, rng) -> list:
        cuts = sorted(int(c) for c in rng.integers(0, len(self.offered) + 1, int(rng.integers(0, 4))))
        bounds = [0] + cuts + [len(self.offered)]
        return [self.offered[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]

    # -- what must be on disk ----------------------------------------------

    def claimed_shape(self) -> list:
        """What level 0's metadata must claim, in acquisition order."""
        frames = -(-self.accepted // self.frame_bytes) if self.frame_bytes else 0
        if len(self.sizes) == 2:
            return list(self.sizes)
        return [-(-frames // math.prod(self.sizes[1:-2]))] + self.sizes[1:]

    def readable(self) -> bool:
        """Whether reading the claimed rows back is quick: zarr-python visits
        every chunk of a selection, and the reference is built in memory."""
        shape = self.claimed_shape()
        chunks = math.prod(-(-n // c) for n, c in zip(shape, self.chunks))
        return chunks <= 4096 and math.prod(shape) * self.dtype.itemsize <= (32 << 20)

    def expected_level0(self):
        """(stored data, mask of written samples), both in storage order."""
        item = self.dtype.itemsize
        shape = self.claimed_shape()
        raw = np.zeros(math.prod(shape) * item, np.uint8)
        raw[: self.accepted] = self.offered[: self.accepted]
        written = np.zeros(math.prod(shape), bool)
        written[: self.accepted // item] = True
        data = raw.view(self.dtype).reshape(shape).transpose(self.order)
        return np.ascontiguousarray(data), written.reshape(shape).transpose(self.order)

    def stored(self, values):
        return [values[i] for i in self.order]


def _codec(c) -> "conftest.Codec":
    if c is None or c.compressor == aqz.Compressor.NONE:
        return conftest.NONE
    if c.compressor == aqz.Compressor.ZSTD:
        return conftest.Codec("zstd", c.level, 0)
    kind = "blosc-lz4" if c.codec == aqz.CompressionCodec.BLOSC_LZ4 else "blosc-zstd"
    return conftest.Codec(kind, c.level, c.shuffle)


def _same(got: np.ndarray, want: np.ndarray, approximate: bool) -> bool:
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    if approximate:
        return bool(np.allclose(got, want, rtol=1e-5, atol=1e-3, equal_nan=True))
    return got.tobytes() == want.tobytes()  # bitwise: NaN payloads included


def read_back(store: str, m: ArrayModel, full: bool, problems: list) -> None:
    fmt = 3 if m.version == "v3" else 2
    node = os.path.join(store, m.key) if m.key else store
    if not m.readable():  # a few frames of a huge frame: the shape, not the zeros
        path = os.path.join(node, "0") if m.ngff else node
        shape = zarr.open_array(path, mode="r", zarr_format=fmt).shape
        if list(shape) != m.stored(m.claimed_shape()):
            problems.append(f"{path}: shape {shape}, want {m.stored(m.claimed_shape())}")
        return
    level0, written = m.expected_level0()
    sizes = m.stored(m.sizes)
    if m.method is not None:
        levels = pr.plan_levels(sizes, m.stored(m.chunks), m.stored(m.shards),
                                m.stored(m.kinds), m.max_levels)
    else:
        levels = [pr.Level(tuple(sizes), tuple(m.stored(m.shards)), (False,) * len(sizes),
                           (0,) * len(sizes))]
    # The raw-chunk decoder pads the data to whole shards in memory.
    shards = m.stored(m.shards) if m.version == "v3" else [1] * len(m.shards)  # v2: ignored
    padded = [-(-n // (c * s)) * c * s for n, c, s in zip(level0.shape, m.stored(m.chunks),
                                                          shards)]
    if full and math.prod(padded) * m.dtype.itemsize < (64 << 20):  # metadata, zarr-python, TensorStore, raw chunks
        spec = conftest.ArraySpec(shape=level0.shape, chunks=m.stored(m.chunks),
                                  shards=m.stored(m.shards), dtype=m.dtype.name, key=m.key,
                                  codec=m.codec, dim0_size=sizes[0], names=m.stored(m.names))
        if m.ngff:
            pr.verify_image(pathlib.Path(store), m.key, m.version, m.stored(m.names),
                            m.stored(m.kinds), sizes, m.stored(m.chunks), m.stored(m.shards),
                            m.dtype.name, level0, m.method, m.max_levels, m.codec,
                            m.stored(m.units), m.stored(m.scales), mask=written,
                            validate=False)
        else:
            conftest.verify_array(pathlib.Path(store), spec, m.version, level0)
        return
    refs = pr.pyramid(level0, levels, m.method) if m.method is not None else [level0]
    masks = [None]
    for lv in levels[1:]:
        prev = written if len(masks) == 1 else masks[-1]
        masks.append(pr.downsample_step(prev, "min", lv.halves_yx, lv.z_axis))
    approximate = m.dtype.kind == "f" and m.method == aqz.DownsamplingMethod.MEAN
    for k, (ref, mask) in enumerate(zip(refs, masks)):
        path = os.path.join(node, str(k)) if m.ngff else node
        got = zarr.open_array(path, mode="r", zarr_format=fmt)[...]
        if mask is not None:
            if got.shape != ref.shape:
                problems.append(f"{path}: shape {got.shape}, want {ref.shape}")
                continue
            got, ref = got[mask], ref[mask]
        if not _same(got, ref, approximate and k > 0):
            problems.append(f"{path}: read back {got.shape} {got.dtype} differs from the "
                            f"reference {ref.shape} {ref.dtype}")
    if m.ngff and os.path.exists(os.path.join(node, str(len(levels)))):
        problems.append(f"{node}: an unexpected level {len(levels)}")


# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------


def _documented(error: BaseException) -> bool:
    """API.md: bad values raise a RuntimeError that is also a ValueError
    (InvalidSettingsError), other engine failures a RuntimeError
    (AcquireZarrError), wrong Python types a TypeError."""
    return type(error) in (aqz.InvalidSettingsError, aqz.AcquireZarrError, TypeError)


def _check_refusal(case: dict, error: BaseException, problems: list) -> None:
    message = str(error)
    if not _documented(error):
        problems.append(f"undocumented exception {type(error).__name__}: {message[:300]}")
    lower = message.lower()
    # What the machine cannot give (memory, threads) is not about the
    # mutated field; the message must still name what to lower.
    resource = getattr(error, "status", None) == "OutOfMemory"
    if not any(w.lower() in lower for w in FIELD_WORDS):
        problems.append(f"the message names no field: {message[:300]!r}")
    elif (case["words"] and not resource
          and not any(w.lower() in lower for w in case["words"])):
        problems.append(f"the message names none of {sorted(set(case['words']))}: "
                        f"{message[:300]!r}")
    if not case["mutations"]:
        problems.append(f"valid settings were refused: {message[:300]!r}")


def _append_all(stream, models: list, rng, problems: list) -> None:
    """Interleaved appends in random pieces; the crossing of a bounded end
    must be refused (WriteOutOfBounds) after taking what fits."""
    queue = [(m, p) for m in models for p in m.pieces(rng)]
    order = rng.permutation(len(queue)) if len(models) > 1 else range(len(queue))
    pending = {id(m): [p for mm, p in queue if mm is m] for m in models}
    for i in order:
        m = queue[i][0]
        piece = pending[id(m)].pop(0)
        key = m.key if len(models) > 1 or rng.random() < 0.5 else None
        room = None if m.capacity is None else m.capacity - m.accepted
        data = piece
        if len(piece) % m.dtype.itemsize == 0 and rng.random() < 0.3:
            data = piece.view(m.dtype)  # a typed array is taken as its bytes
        elif rng.random() < 0.2:
            data = bytes(piece)
        try:
            stream.append(data, key=key)
        except aqz.AcquireZarrError as error:
            if room is None or len(piece) <= room:
                problems.append(f"append of {len(piece)} bytes to {m.key!r} refused: {error}")
                continue
            if room > 0 and error.status != "WriteOutOfBounds":
                problems.append(f"overflowing append: status {error.status}, not WriteOutOfBounds")
            m.accepted = m.capacity  # what fits is kept
            continue
        if room is not None and len(piece) > room:
            problems.append(f"append of {len(piece)} bytes past the end of {m.key!r} "
                            f"({room} bytes left) was accepted")
        m.accepted += len(piece) if room is None else min(len(piece), room)


def _models(settings, version: str, rng) -> list:
    arrays = [(a, False) for a in settings._all_arrays()]
    arrays += [(img.array_settings, True) for p in settings.plates for w in p.wells
               for img in w.images]
    keys = settings.get_array_keys()
    return [ArrayModel(k, a, fov, rng, version) for k, (a, fov) in zip(keys, arrays)]


def _parents(path, sandbox: str) -> set:
    """The directories between the sandbox and `path`, relative to it."""
    if path is None:
        return set()
    return {os.path.relpath(p, sandbox) for p in pathlib.Path(path).parents
            if str(p).startswith(sandbox + os.sep)}


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def run_case(case: dict, base: str) -> dict:
    problems: list = []
    sandbox = os.path.join(base, f"case-{case['index']}")
    work = os.path.join(sandbox, "work")
    os.makedirs(os.path.join(work, "sub"))
    with open(os.path.join(sandbox, "file.txt"), "w") as f:
        f.write("a file, not a directory")
    with open(os.path.join(work, "keep.txt"), "w") as f:
        f.write("the working directory's own file")
    stream_case = case["stream"]
    raw = case["store"]["path"]
    path = raw.replace("{sandbox}", sandbox) if isinstance(raw, str) else raw
    resolved = None
    if isinstance(path, str) and path and "\x00" not in path:
        try:
            resolved = os.path.realpath(os.path.join(work, os.fsencode(path).decode(
                "utf-8", "surrogateescape")))
        except UnicodeEncodeError:
            resolved = None
    inside = resolved is not None and resolved.startswith(sandbox + os.sep)
    if not inside:
        # The filesystem root, the working directory's parents...: with
        # overwrite a regression would remove what is there, so only ever
        # without it (the refusal is what is tested).
        stream_case = dict(stream_case, overwrite=False)
    v2_old = case["store"]["existing_v2"]
    existing = inside and case["store"]["existing"] and not os.path.lexists(resolved)
    if existing:
        try:
            os.makedirs(os.path.dirname(resolved), exist_ok=True)
        except OSError:  # a file is in the way: that is the case's point
            existing = False
        else:
            try:
                shutil.copytree(old_store(base, v2_old), resolved)
            except OSError:  # a name too long: that is the case's point
                existing = False
    root_before = sorted(os.listdir("/"))
    before = snapshot(sandbox)
    rng = np.random.default_rng(case["data_seed"])
    os.chdir(work)
    try:
        try:
            settings = build_settings(stream_case, pathlib.Path(path) if case["store"]["pathlib"]
                                      and isinstance(path, str) else path)
            estimate_error = None
            try:
                if settings.get_maximum_memory_usage() > MAX_STREAM_BYTES:
                    return {"outcome": "estimated", "problems": problems}
            except aqz.AcquireZarrError as error:
                estimate_error = error
                # An estimate is arithmetic: out of memory there means it
                # allocates what it should only count.
                if error.status == "OutOfMemory":
                    problems.append(f"get_maximum_memory_usage() ran out of memory: {error}")
            stream = aqz.ZarrStream(settings)
        except Exception as error:  # noqa: BLE001 - which one is the test
            _check_refusal(case, error, problems)
            after = snapshot(sandbox)
            if after != before:
                problems.append(f"the refused creation changed the disk: {_diff(before, after)} "
                                f"(refused with: {str(error)[:300]!r})")
            if sorted(os.listdir("/")) != root_before:
                problems.append("the refused creation changed the filesystem root")
            return {"outcome": "refused", "problems": problems, "message": str(error)[:500]}
        if estimate_error is not None:  # it validates the same settings
            problems.append(f"the estimate refused ({estimate_error}) but creation succeeded")
        version = "v2" if settings.version == aqz.ZarrVersion.V2 else "v3"
        models = _models(settings, version, rng)
        _append_all(stream, models, rng, problems)
        stream.close()
        if not inside:
            problems.append(f"a store outside the sandbox was accepted: {path!r}")
            return {"outcome": "created", "problems": problems}
        # The full check (TensorStore, raw chunks, group documents) for a
        # quarter of the cases; not where TensorStore cannot open the path
        # (not UTF-8) or an old store of the other version shares the groups.
        full = case["index"] % 4 == 0 and _utf8(resolved) and not (
            existing and not stream_case["overwrite"] and v2_old != (version == "v2"))
        for i, m in enumerate(models):
            read_back(resolved, m, full=full and i == 0, problems=problems)
        if existing:
            check_old_store(resolved, v2_old, bool(stream_case["overwrite"]), problems)
        outside = {k: v for k, v in snapshot(sandbox).items()
                   if not os.path.join(sandbox, k).startswith(resolved)}
        expected = {k: v for k, v in before.items()
                    if not os.path.join(sandbox, k).startswith(resolved)}
        ancestors = _parents(resolved, sandbox)
        expected = {k: v for k, v in expected.items() if k not in ancestors}
        if {k: v for k, v in outside.items() if k not in ancestors} != expected:
            problems.append(f"files outside the store changed: {_diff(expected, outside)}")
        return {"outcome": "created", "problems": problems}
    except AssertionError:
        problems.append(f"read-back check failed: {traceback.format_exc()[-1500:]}")
        return {"outcome": "created", "problems": problems}
    except Exception:  # noqa: BLE001 - reported with the case
        problems.append(f"unexpected exception: {traceback.format_exc()[-1500:]}")
        return {"outcome": "error", "problems": problems}
    finally:
        os.chdir(base)
        shutil.rmtree(sandbox, ignore_errors=True)


def main() -> None:
    base = os.path.realpath(sys.argv[1])
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # nothing else may write on the protocol pipe
    _limit_memory()
    protocol.write(json.dumps({"ready": os.getpid()}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        case = json.loads(line)
        if case.get("selftest") == "abort":  # test_settings_fuzz checks its harness
            os.abort()
        if case.get("selftest") == "hang":
            while True:
                signal.pause()
        result = run_case(case, base)
        protocol.write(json.dumps(result) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
