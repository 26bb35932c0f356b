"""One array of a settings fuzz case (settings_fuzz_worker.py): what is
appended to it, and the check that every row its metadata claims reads back
as the reference (zarr-python; for some cases also TensorStore and a raw
chunk decoder, through conftest.verify_array and
pyramid_reference.verify_image).
"""

from __future__ import annotations

import math
import os
import pathlib

import numpy as np
import zarr

import acquire_zarr as aqz
import conftest
import pyramid_reference as pr

# Per array and case, to keep a case fast: what is offered, and the chunk
# (v2) or shard (v3) files it may fill (this machine needs milliseconds per
# file to create and remove it; 1-pixel chunks make thousands).
MAX_OFFERED_BYTES = 1 << 20
MAX_FILES = 512




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
        self.band_rows = self._banded_levels()
        bounded = self.sizes[0] != 0
        self.capacity = math.prod(self.sizes) * item if bounded else None
        self.offered = self._offer(rng)
        self.accepted = 0

    def _plan(self) -> list:
        sizes = self.stored(self.sizes)
        if self.method is not None:
            return pr.plan_levels(sizes, self.stored(self.chunks), self.stored(self.shards),
                                  self.stored(self.kinds), self.max_levels)
        return [pr.Level(tuple(sizes), tuple(self.stored(self.shards)), (False,) * len(sizes),
                         (0,) * len(sizes))]

    def _banded_levels(self) -> list:
        """Per level, whether the engine writes it in bands of one chunk of
        rows (src/array/FrameBanding.hpp, with ZARR_BANDED_FRAME_BYTES as
        the worker has it): only what an image claims depends on it."""
        levels = self._plan()
        value = os.environ.get("ZARR_BANDED_FRAME_BYTES", "")
        threshold = int(value) if value.isdigit() and int(value) > 0 else 64 << 20
        chunk_y = self.chunks[-2]
        eligible = (self.order == list(range(len(self.sizes)))
                    and all(c == 1 for c in self.chunks[:-2])
                    and self.frame_bytes > threshold
                    and (len(levels) == 1 or chunk_y % 2 == 0))
        banded = []
        for lv in levels:
            eligible = eligible and -(-lv.shape[-2] // chunk_y) >= 2
            banded.append(eligible)
        return banded

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
            if self.band_rows[0]:  # a banded image claims the bands it got
                band = self.chunks[0] * self.sizes[1] * self.dtype.itemsize
                return [self.banded_claim(-(-self.accepted // band) * self.chunks[0], 0),
                        self.sizes[1]]
            return list(self.sizes)
        return [-(-frames // math.prod(self.sizes[1:-2]))] + self.sizes[1:]

    def banded_claim(self, rows: int, level: int) -> int:
        """The rows a banded image's level claims when `rows` of it came:
        whole bands, within the level."""
        chunk = self.chunks[0]
        return min(-(-rows // chunk) * chunk, self._plan()[level].shape[0])

    def banded_partial(self) -> bool:
        """A banded image that got fewer bands than it has."""
        return len(self.sizes) == 2 and self.band_rows[0] and \
            self.claimed_shape()[0] < self.sizes[0]

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
    banded_partial = m.banded_partial()  # levels claim whole bands: see below
    if full and not banded_partial and math.prod(padded) * m.dtype.itemsize < (64 << 20):  # metadata, zarr-python, TensorStore, raw chunks
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
    if banded_partial:
        # Each level is made from the level before as stored (whole bands,
        # the rows no band filled zeros) and claims whole bands of its own;
        # a level of one chunk of rows is a whole frame.
        refs, masks = [level0], [written]
        for k, lv in enumerate(levels[1:], start=1):
            ref = pr.downsample_step(refs[-1], m.method, lv.halves_yx, lv.z_axis)
            mask = pr.downsample_step(masks[-1], "min", lv.halves_yx, lv.z_axis)
            rows = m.banded_claim(ref.shape[0], k) if m.band_rows[k] else lv.shape[0]
            refs.append(np.pad(ref, ((0, rows - ref.shape[0]), (0, 0))))
            masks.append(np.pad(mask, ((0, rows - mask.shape[0]), (0, 0)), constant_values=True))
        masks[0] = None
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


def append_all(stream, models: list, rng, problems: list) -> None:
    """Interleaved appends in random pieces; the crossing of a bounded end
    must be refused (WriteOutOfBounds) after taking what fits."""
    pieces = {id(m): m.pieces(rng) for m in models}
    turns = [m for m in models for _ in pieces[id(m)]]
    rng.shuffle(turns)  # the arrays interleaved, each one's pieces in order
    for m in turns:
        piece = pieces[id(m)].pop(0)
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


def models_of(settings, version: str, rng) -> list:
    arrays = [(a, False) for a in settings._all_arrays()]
    arrays += [(img.array_settings, True) for p in settings.plates for w in p.wells
               for img in w.images]
    keys = settings.get_array_keys()
    return [ArrayModel(k, a, fov, rng, version) for k, (a, fov) in zip(keys, arrays)]
