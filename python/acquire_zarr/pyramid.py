"""Pyramids after the fact: add downsampled levels to an existing image.

:func:`add_pyramid` gives an existing OME-Zarr image group, or a plain Zarr
array (written by this library, zarr-python or another tool; Zarr v2 or v3),
the levels of a multiscale pyramid, as linc-convert's
``ZarrGroup.generate_pyramid(levels, ndim, mode, no_pyramid_axis)`` does, and
updates its OME-NGFF multiscales metadata (:func:`write_ome_metadata`).
Levels are computed slab by slab (memory stays bounded whatever the size of
the image) and streamed through the engine (:class:`acquire_zarr.ZarrStream`)
with the source's chunks, shards and codec; levels the engine cannot lay out
like the source are written with zarr-python.
"""

from __future__ import annotations

import itertools
import logging
import math
import numbers
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import ome_metadata as _ome
from ._zarr_nodes import DEFAULT_AXES, Node, import_zarr, multiscale_of, read_node, require_node

__all__ = ["add_pyramid", "MODES", "downsample"]

MODES = ("mean", "median", "min", "max", "decimate")

# The multiscale `type` of each mode (the streaming pyramid's names).
_TYPE = {"mean": "local_mean", "median": "median", "min": "local_min", "max": "local_max", "decimate": "decimate"}

_DESCRIPTION = {
    "mean": "the mean of each block; integers rounded to nearest, ties to even",
    "median": "the median of each block (the mean of its two middle samples; integers rounded to nearest, "
    "ties to even)",
    "min": "the minimum of each block",
    "max": "the maximum of each block",
    "decimate": "the first (top-left, front) sample of each block",
}

_ENGINE_DTYPES = {
    "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64",
}
_V2_DTYPES = {"|u1": "uint8", "<u2": "uint16", "<u4": "uint32", "<u8": "uint64", "|i1": "int8", "<i2": "int16",
              "<i4": "int32", "<i8": "int64", "<f4": "float32", "<f8": "float64", "|b1": None}

DEFAULT_SLAB_BYTES = 64 << 20

# New levels are written under this suffix, then renamed.
_TMP = ".add_pyramid-tmp"


# --------------------------------------------------------------------------
# Downsampling one block
# --------------------------------------------------------------------------


def _round_div_pow2(total: np.ndarray, shift: int) -> np.ndarray:
    """total / 2**shift on int64, rounded to nearest, ties to even."""
    n = 1 << shift
    r = total & (n - 1)
    total >>= shift  # the quotient, in place
    # up when the remainder is over half, or exactly half and the quotient odd
    r <<= 1
    up = r > n
    up |= (r == n) & ((total & 1) == 1)
    total += up
    return total


def _int_mean(samples: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """Exact mean of integer samples (a power-of-two count), rounded to
    nearest with ties to even, never overflowing."""
    n = len(samples)
    shift = n.bit_length() - 1
    assert 1 << shift == n
    if dtype.itemsize < 8:
        # 8 samples of 16 bits fit in 32 bits
        total = samples[0].astype(np.int32 if dtype.itemsize <= 2 else np.int64)
        for s in samples[1:]:
            total += s
        return _round_div_pow2(total, shift).astype(dtype)
    # 64-bit: v = hi * 2^32 + lo with lo in [0, 2^32); the sums of each part
    # fit in int64, and since 2^32 / n is an integer,
    # floor(total / n) = sum_hi * (2^32 / n) + floor(sum_lo / n),
    # computed modulo 2^64 (the true mean fits the type, so it is exact).
    signed = dtype.kind == "i"
    sum_hi = np.zeros(samples[0].shape, np.int64)
    sum_lo = np.zeros(samples[0].shape, np.int64)
    for s in samples:
        s64 = s.view(np.int64) if signed else s.view(np.uint64)
        sum_hi += (s64 >> 32).astype(np.int64)
        sum_lo += (s64 & 0xFFFFFFFF).astype(np.int64)
    r = sum_lo & (n - 1)
    with np.errstate(over="ignore"):
        q = sum_hi.view(np.uint64) * np.uint64((1 << 32) >> shift) + (sum_lo >> shift).view(np.uint64)
        up = (2 * r > n) | ((2 * r == n) & ((q & np.uint64(1)) == 1))
        out = q + up.astype(np.uint64)
    return out.view(np.int64).astype(dtype) if signed else out.astype(dtype)


def _reduce(samples: List[np.ndarray], mode: str, dtype: np.dtype) -> np.ndarray:
    if mode == "decimate":
        return samples[0].copy()
    if mode in ("min", "max"):
        fold = np.minimum if mode == "min" else np.maximum  # NaN wins, as in the engine
        out = samples[0].copy()
        for s in samples[1:]:
            fold(out, s, out=out)
        return out
    if mode == "mean":
        if dtype.kind in "ui":
            return _int_mean(samples, dtype)
        total = samples[0].astype(np.float64)
        for s in samples[1:]:  # in block order, as the engine sums
            total += s
        return (total / len(samples)).astype(dtype)
    if mode == "median":
        stack = np.sort(np.stack(samples, axis=-1), axis=-1)
        n = len(samples)
        if n == 1:
            return stack[..., 0].copy()
        lo, hi = stack[..., n // 2 - 1], stack[..., n // 2]
        if dtype.kind in "ui":
            return _int_mean([np.ascontiguousarray(lo), np.ascontiguousarray(hi)], dtype)
        out = ((lo.astype(np.float64) + hi) / 2).astype(dtype)
        if dtype.kind == "f":
            nan = np.isnan(stack).any(axis=-1)
            out[nan] = np.nan
        return out
    raise ValueError(mode)


def _pairs(t: np.ndarray, ax: int) -> Tuple[np.ndarray, np.ndarray]:
    a = [slice(None)] * t.ndim
    b = [slice(None)] * t.ndim
    a[ax], b[ax] = slice(0, None, 2), slice(1, None, 2)
    return t[tuple(a)], t[tuple(b)]


def _pair_fold(block: np.ndarray, axes: Sequence[int], op, acc=None) -> np.ndarray:
    """Combine the samples of each block pair by pair, one axis at a time
    (the last first: each pass reads memory in order and halves it)."""
    t = block
    for i, ax in enumerate(sorted(axes, reverse=True)):
        a, b = _pairs(t, ax)
        if i == 0:
            t = a.astype(acc) if acc is not None else a.copy()
            op(t, b, out=t, casting="unsafe")
        else:
            t = op(a, b)
    return t


def _int_mean_blocks(block: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Exact integer mean of each block (2^len(axes) samples), rounded to
    nearest with ties to even, never overflowing: sums pair by pair."""
    dtype = block.dtype
    shift = len(axes)
    n = 1 << shift
    if dtype.itemsize < 8:
        acc = np.int32 if dtype.itemsize <= 2 else np.int64  # 8 samples of 16 bits fit in 32
        return _round_div_pow2(_pair_fold(block, axes, np.add, acc), shift).astype(dtype)
    # 64-bit: v = hi * 2^32 + lo with lo in [0, 2^32); the sums of each part
    # fit in int64, and since 2^32 / n is an integer,
    # floor(total / n) = sum_hi * (2^32 / n) + floor(sum_lo / n),
    # computed modulo 2^64 (the true mean fits the type, so it is exact).
    signed = dtype.kind == "i"
    v = block.view(np.int64) if signed else block.view(np.uint64)
    sum_hi = _pair_fold((v >> 32).astype(np.int64), axes, np.add)
    sum_lo = _pair_fold((v & 0xFFFFFFFF).astype(np.int64), axes, np.add)
    r = sum_lo & (n - 1)
    with np.errstate(over="ignore"):
        q = sum_hi.view(np.uint64) * np.uint64((1 << 32) >> shift) + (sum_lo >> shift).view(np.uint64)
        up = (2 * r > n) | ((2 * r == n) & ((q & np.uint64(1)) == 1))
        out = q + up.astype(np.uint64)
    return out.view(np.int64).astype(dtype) if signed else out.astype(dtype)


def _pool(block: np.ndarray, axes: Sequence[int], mode: str) -> np.ndarray:
    """Reduce 2-sample blocks along ``axes`` (even sizes there)."""
    if not axes:
        return block.copy()
    if mode == "decimate":
        return block[tuple(slice(0, None, 2) if d in axes else slice(None) for d in range(block.ndim))].copy()
    if mode in ("min", "max"):  # NaN wins (np.minimum / np.maximum), as in the engine
        return _pair_fold(block, axes, np.minimum if mode == "min" else np.maximum)
    if mode == "mean" and block.dtype.kind in "ui":
        return _int_mean_blocks(block, axes)
    samples = []  # float mean (summed in the engine's order) and median
    for offs in itertools.product((0, 1), repeat=len(axes)):
        idx = [slice(None)] * block.ndim
        for ax, o in zip(axes, offs):
            idx[ax] = slice(o, None, 2)
        samples.append(block[tuple(idx)])
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is NaN, as in the engine
        return _reduce(samples, mode, block.dtype)


def _repeat_last(a: np.ndarray, axis: int) -> np.ndarray:
    last = np.take(a, [a.shape[axis] - 1], axis=axis)
    return np.concatenate([a, last], axis=axis)


def downsample(block: np.ndarray, axes: Sequence[int], mode: str = "mean", passthrough: Optional[int] = None) -> np.ndarray:
    """One pyramid step on an in-memory block: halve ``axes`` by pooling 2
    samples along each (2x2, 2x2x2 ... blocks).

    An odd size repeats its last sample (the edge row or column counts
    twice), except along ``passthrough`` (the Z axis of the engine's rule),
    where an odd last plane passes through, reduced along the other axes
    only. ``mode``: mean (integers rounded to nearest, ties to even, exact),
    median, min, max (a NaN wins) or decimate (the first sample)."""
    mode = _check_mode(mode)
    axes = sorted(int(a) % block.ndim for a in axes)
    b = np.asarray(block)
    if not b.dtype.isnative:
        b = b.astype(b.dtype.newbyteorder("="))
    if b.dtype.kind not in "uif":
        raise TypeError(f"data type {b.dtype}: downsampling pools numbers (integer or float types)")
    for ax in axes:
        if ax != passthrough and b.shape[ax] % 2:
            b = _repeat_last(b, ax)
    if passthrough in axes and b.shape[passthrough] % 2:
        nz = b.shape[passthrough]
        head = np.take(b, np.arange(nz - 1), axis=passthrough)
        tail = np.take(b, [nz - 1], axis=passthrough)
        rest = [a for a in axes if a != passthrough]
        parts = [_pool(head, axes, mode)] if nz > 1 else []
        parts.append(_pool(tail, rest, mode))
        return np.concatenate(parts, axis=passthrough)
    return _pool(b, axes, mode)


# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------


def _check_mode(mode) -> str:
    name = getattr(mode, "name", mode)
    if isinstance(name, str) and name.lower() in MODES:
        return name.lower()
    raise ValueError(f"mode={mode!r}: expected one of {', '.join(MODES)}")


def plan_levels(shape: Sequence[int], chunks: Sequence[int], pooled: Sequence[int], levels: Optional[int]) -> List[Tuple[int, ...]]:
    """For each new level, the axes it halves.

    The streaming pyramid's rule: the pooled axes among the last two halve
    (together) while the smaller of them is larger than the larger of their
    chunk sizes; the third-last axis halves while it is larger than its
    chunk; a level halves one or both. ``levels`` None: as many levels as that
    rule makes. A count: that many levels; past the rule's last level, each
    level halves every pooled axis still larger than one sample."""
    nd = len(shape)
    yx = [a for a in pooled if a >= nd - 2]
    z = [a for a in pooled if a < nd - 2]
    cur = list(shape)
    plan: List[Tuple[int, ...]] = []
    natural = True
    while levels is None or len(plan) < levels:
        halved: List[int] = []
        if natural:
            if yx and min(cur[a] for a in yx) > max(chunks[a] for a in yx):
                halved += yx
            if z and cur[z[0]] > chunks[z[0]]:
                halved += z
            if not halved:
                natural = False
        if not natural:
            if levels is None:
                break
            halved = [a for a in pooled if cur[a] > 1]
            if not halved:
                raise ValueError(
                    f"levels={levels}: only {len(plan)} more level(s) can be made from shape {tuple(shape)} "
                    f"(then every pooled axis is one sample)"
                )
        halved = sorted(halved)
        for a in halved:
            cur[a] = -(-cur[a] // 2)
        plan.append(tuple(halved))
    return plan


def _next_name(prev: str) -> str:
    m = re.fullmatch(r"(.*?)(\d+)", prev)
    if m:
        return m.group(1) + str(int(m.group(2)) + 1)
    return prev + "_1"


# --------------------------------------------------------------------------
# Slabs
# --------------------------------------------------------------------------


def _slabs(src_shape, out_shape, halved, src_chunks, itemsize, budget, out_chunks=None) -> Iterator[Tuple[tuple, tuple, tuple, bool, bool]]:
    """The reads that make a level, in order: (source region, output block,
    where the region's result goes in the block, first of the block, last of
    the block). Output blocks cover the output in C order, each contiguous in
    C order (the engine's append order): one index along the axes before an
    emission axis e, a range along e, everything after it.

    Reads should span whole source chunks (a chunk cut in two is decoded
    twice): the emission axis is the first at which a block spanning whole
    source chunks along it fits ``budget`` bytes of source, read at once;
    else the first at which such an output block fits the budget, read in
    bands along the next axis that span whole chunks and fit; else the first
    axis at which one step fits (reads may then cut chunks). ``out_chunks``:
    output blocks also span whole chunks of that shape."""
    nd = len(src_shape)
    r = [2 if d in halved else 1 for d in range(nd)]
    src_after = [1] * (nd + 1)
    out_after = [1] * (nd + 1)
    for d in range(nd - 1, -1, -1):
        src_after[d] = src_after[d + 1] * src_shape[d]
        out_after[d] = out_after[d + 1] * out_shape[d]

    def src_unit(d):  # source bytes of one output step along d, one index before d, all after
        return itemsize * math.prod(r[:d]) * r[d] * src_after[d + 1]

    def aligned(d):  # output steps along d that span whole source chunks (and output chunks)
        m = src_chunks[d] // math.gcd(src_chunks[d], r[d])
        if out_chunks is not None:
            m = m * out_chunks[d] // math.gcd(m, out_chunks[d])
        return max(1, min(m, out_shape[d]))

    def fit(unit, m, total):  # the largest multiple of m steps within the budget
        return min(total, max(m, (budget // unit) // m * m))

    plan = None
    for e in range(nd):
        m = aligned(e)  # the smallest output block spanning whole chunks along e
        if src_unit(e) * m <= budget:
            plan = (e, fit(src_unit(e), m, out_shape[e]), None, None)
            break
        if e + 1 < nd:
            mb = aligned(e + 1)
            unit = src_unit(e + 1) * m  # source bytes per output step along e + 1
            if itemsize * m * out_after[e + 1] <= budget and unit * mb <= budget:
                plan = (e, m, e + 1, fit(unit, mb, out_shape[e + 1]))
                break
    if plan is None:
        for e in range(nd):
            if src_unit(e) <= budget or e == nd - 1:
                plan = (e, max(1, budget // src_unit(e)), None, None)
                break
    e, step, band_axis, band = plan

    for outer in itertools.product(*(range(out_shape[d]) for d in range(e))):
        for a in range(0, out_shape[e], step):
            b = min(out_shape[e], a + step)
            out = [slice(o, o + 1) for o in outer] + [slice(a, b)] + [slice(0, n) for n in out_shape[e + 1:]]
            src = [slice(r[d] * o, min(src_shape[d], r[d] * (o + 1))) for d, o in enumerate(outer)]
            src += [slice(r[e] * a, min(src_shape[e], r[e] * b))] + [slice(0, n) for n in src_shape[e + 1:]]
            if band_axis is None:
                yield tuple(src), tuple(out), (), True, True
                continue
            n = out_shape[band_axis]
            starts = list(range(0, n, band))
            for i, c in enumerate(starts):
                d = min(n, c + band)
                sub_src = list(src)
                sub_src[band_axis] = slice(r[band_axis] * c, min(src_shape[band_axis], r[band_axis] * d))
                local = [slice(None)] * nd
                local[band_axis] = slice(c, d)
                yield tuple(sub_src), tuple(out), tuple(local), i == 0, i == len(starts) - 1


# --------------------------------------------------------------------------
# Writing a level
# --------------------------------------------------------------------------


@dataclass
class _Layout:
    """How the engine reproduces a source array's layout (or why not)."""

    dtype: Optional[str]
    compression: Any  # aqz.CompressionSettings | None
    sharded: bool
    reason: Optional[str]  # why the engine cannot write it


def _engine_layout(src: Node) -> _Layout:
    import acquire_zarr as aqz

    def comp_blosc(cname, clevel, shuffle):
        if cname not in ("lz4", "zstd"):
            return None, f"Blosc cname {cname!r} (the engine has lz4 and zstd)"
        if not isinstance(clevel, int) or not 0 <= clevel <= 9:
            return None, f"Blosc clevel {clevel!r}"
        if shuffle not in (0, 1, 2):
            return None, f"Blosc shuffle {shuffle!r}"
        codec = aqz.CompressionCodec.BLOSC_LZ4 if cname == "lz4" else aqz.CompressionCodec.BLOSC_ZSTD
        return aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1, codec=codec, level=clevel, shuffle=shuffle), None

    def comp_zstd(level, checksum=False):
        if checksum:
            return None, "a Zstd checksum"
        if level == 0:
            level = 3  # libzstd's default level, which level 0 asks for
        if not isinstance(level, int) or not 1 <= level <= 22:
            return None, f"Zstd level {level!r}"
        return aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD, codec=aqz.CompressionCodec.ZSTD, level=level), None

    m = src.meta
    if src.zarr_format == 2:
        dtype = _V2_DTYPES.get(m.get("dtype")) if isinstance(m.get("dtype"), str) else None
        if dtype is None:
            return _Layout(None, None, False, f"data type {m.get('dtype')!r}")
        if m.get("order", "C") != "C":
            return _Layout(dtype, None, False, f"order {m.get('order')!r}")
        if m.get("filters"):
            return _Layout(dtype, None, False, f"filters {m.get('filters')!r}")
        c = m.get("compressor")
        if c is None:
            return _Layout(dtype, None, False, None)
        if c.get("id") == "blosc":
            comp, why = comp_blosc(c.get("cname"), c.get("clevel"), c.get("shuffle"))
        elif c.get("id") == "zstd":
            comp, why = comp_zstd(c.get("level", 0), c.get("checksum", False))
        else:
            comp, why = None, f"compressor {c.get('id')!r}"
        return _Layout(dtype, comp, False, why)

    dtype = m.get("data_type")
    if dtype not in _ENGINE_DTYPES:
        return _Layout(None, None, False, f"data type {dtype!r}")
    cke = m.get("chunk_key_encoding") or {}
    if cke.get("name") != "default" or (cke.get("configuration") or {}).get("separator", "/") != "/":
        return _Layout(dtype, None, False, f"chunk key encoding {cke!r}")
    if m.get("storage_transformers"):
        return _Layout(dtype, None, False, "storage transformers")
    codecs = m.get("codecs") or []
    sharded = len(codecs) == 1 and codecs[0].get("name") == "sharding_indexed"
    unsharded = None if sharded else "an unsharded Zarr v3 array (the engine always shards)"
    inner = codecs
    if sharded:
        cfg = codecs[0].get("configuration") or {}
        if cfg.get("index_location", "end") != "end":
            return _Layout(dtype, None, True, "a shard index at the start")
        idx = [c.get("name") for c in cfg.get("index_codecs") or []]
        if idx != ["bytes", "crc32c"] or (
            (cfg["index_codecs"][0].get("configuration") or {}).get("endian", "little") != "little"
        ):
            return _Layout(dtype, None, True, f"index codecs {idx}")
        inner = cfg.get("codecs") or []
    names = [c.get("name") for c in inner]
    if not inner or inner[0].get("name") != "bytes" or (inner[0].get("configuration") or {}).get("endian", "little") != "little":
        return _Layout(dtype, None, sharded, f"codecs {names}")
    rest = inner[1:]
    if not rest:
        return _Layout(dtype, None, sharded, unsharded)
    if len(rest) > 1:
        return _Layout(dtype, None, sharded, f"codecs {names}")
    c = rest[0]
    conf = c.get("configuration") or {}
    if c.get("name") == "blosc":
        shuffle = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}.get(conf.get("shuffle"), conf.get("shuffle"))
        comp, why = comp_blosc(conf.get("cname"), conf.get("clevel"), shuffle)
    elif c.get("name") == "zstd":
        comp, why = comp_zstd(conf.get("level", 0), conf.get("checksum", False))
    else:
        comp, why = None, f"codec {c.get('name')!r}"
    return _Layout(dtype, comp, sharded, why or unsharded)


def _level_geometry(src0: Node, shape: Sequence[int]) -> Tuple[tuple, Optional[tuple]]:
    """Chunks (trimmed to the level) and shard shape (None: unsharded) of a
    new level, from level 0's."""
    chunks = tuple(min(c, n) if n > 0 else c for c, n in zip(src0.chunks(), shape))
    chunks = tuple(max(1, c) for c in chunks)
    shard0 = src0.shard_shape()
    if shard0 is None:
        return chunks, None
    per = [max(1, s // c) for s, c in zip(shard0, src0.chunks())]
    shard_chunks = [min(p, -(-n // c)) if n > 0 else 1 for p, n, c in zip(per, shape, chunks)]
    return chunks, tuple(c * k for c, k in zip(chunks, shard_chunks))


def _engine_settings(group: Path, fmt: int, name: str, shape, chunks, shard, layout: _Layout, names, kinds):
    import acquire_zarr as aqz

    kind_of = {"space": aqz.DimensionType.SPACE, "time": aqz.DimensionType.TIME, "channel": aqz.DimensionType.CHANNEL}
    nd = len(shape)
    dims = []
    for i in range(nd):
        kind = aqz.DimensionType.SPACE if i >= nd - 2 else kind_of.get(kinds[i], aqz.DimensionType.OTHER)
        dims.append(
            aqz.Dimension(
                name=names[i],
                kind=kind,
                array_size_px=int(shape[i]),
                chunk_size_px=int(chunks[i]),
                shard_size_chunks=int(shard[i] // chunks[i]) if shard is not None else 1,
            )
        )
    array = aqz.ArraySettings(output_key=name, data_type=getattr(aqz.DataType, layout.dtype.upper()), dimensions=dims)
    if layout.compression is not None:
        array.compression = layout.compression
    return aqz.StreamSettings(
        store_path=str(group),
        overwrite=False,
        version=aqz.ZarrVersion.V3 if fmt == 3 else aqz.ZarrVersion.V2,
        arrays=[array],
    )


def _zarr_metadata(src0: Node, shape, chunks, shard) -> dict:
    """The source's array document with the new shape and chunks."""
    import copy

    meta = copy.deepcopy(src0.meta)
    meta["shape"] = [int(n) for n in shape]
    if src0.zarr_format == 2:
        meta["chunks"] = [int(c) for c in chunks]
        return meta
    meta["attributes"] = {}
    if shard is not None:
        meta["chunk_grid"]["configuration"]["chunk_shape"] = [int(c) for c in shard]
        meta["codecs"][0]["configuration"]["chunk_shape"] = [int(c) for c in chunks]
    else:
        meta["chunk_grid"]["configuration"]["chunk_shape"] = [int(c) for c in chunks]
    return meta


def _write_level(group: Node, src_path: Path, name: str, src0: Node, shape, halved, mode: str, passthrough,
                 writer: str, names, kinds, slab_bytes: int) -> str:
    """Compute level ``name`` from the array at ``src_path`` and write it.
    Returns "engine" or "zarr-python"."""
    zarr = import_zarr("add_pyramid")
    src = zarr.open_array(str(src_path), mode="r")
    chunks, shard = _level_geometry(src0, shape)
    layout = _engine_layout(src0)
    use_engine = writer == "engine" or (writer == "auto" and layout.reason is None)
    if writer == "engine" and layout.reason is not None and not layout.reason.startswith("an unsharded"):
        raise ValueError(f"writer='engine': the engine cannot write {layout.reason} ({src0.describe()})")
    src_node = read_node(src_path)
    if use_engine:
        import acquire_zarr as aqz

        if shard is None and group.zarr_format == 3:
            shard = chunks  # writer="engine" on an unsharded source: one chunk per shard
        try:
            settings = _engine_settings(group.path, group.zarr_format, name, shape, chunks, shard, layout, names, kinds)
            stream = aqz.ZarrStream(settings)
        except (RuntimeError, ValueError) as e:
            if writer == "engine":
                raise
            use_engine = False
            layout.reason = f"settings the engine refused ({e})"
    def computed():  # (output block, its region), assembled from bands where needed
        # two slabs live at once (one read ahead): each gets half the budget.
        # zarr-python rewrites a chunk (or shard) written in parts: its
        # blocks also span whole chunks (shards) of the new level.
        out_align = None if use_engine else (shard or chunks)
        blocks = _slabs(src.shape, shape, halved, src_node.chunks(), src.dtype.itemsize, max(1, slab_bytes // 2),
                        out_align)
        buf = None
        for block, (out, local, first, last) in _prefetch(src, blocks):
            res = downsample(block, halved, mode, passthrough)
            if first and last:
                yield res, out
                continue
            if first:
                buf = np.empty(tuple(sl.stop - sl.start for sl in out), res.dtype)
            buf[local] = res
            if last:
                yield buf, out
                buf = None

    log = logging.getLogger("acquire_zarr")
    if use_engine:
        log.info("add_pyramid: %s (shape %s) streamed through the engine", group.path / name, tuple(shape))
        with stream:
            for res, _ in computed():
                stream.append(np.ascontiguousarray(res))
        return "engine"
    log.info("add_pyramid: %s (shape %s) written with zarr-python: the engine cannot write %s",
             group.path / name, tuple(shape), layout.reason)
    from ._zarr_nodes import write_json_atomic

    path = group.path / name
    path.mkdir()
    meta = _zarr_metadata(src0, shape, chunks, shard)
    if group.zarr_format == 2:
        write_json_atomic(path / ".zarray", meta)
        write_json_atomic(path / ".zattrs", {})
    else:
        write_json_atomic(path / "zarr.json", meta)
    out = zarr.open_array(str(path), mode="r+")
    for res, o in computed():
        out[o] = res
    return "zarr-python"


def _prefetch(src, regions) -> Iterator[Tuple[np.ndarray, tuple]]:
    """(source block, output region) pairs, the next block read by a
    thread while the caller works on this one."""
    from concurrent.futures import ThreadPoolExecutor

    regions = iter(regions)
    with ThreadPoolExecutor(1, thread_name_prefix="acquire_zarr-pyramid-read") as pool:
        def submit():
            r = next(regions, None)
            return None if r is None else (pool.submit(src.__getitem__, r[0]), r[1:])

        pending = submit()
        while pending is not None:
            future, out = pending
            block = future.result()
            pending = submit()
            yield block, out
            del block


# --------------------------------------------------------------------------
# The image
# --------------------------------------------------------------------------


def _resolve(store) -> Tuple[Node, List[str], bool]:
    """(image group, existing level paths, has multiscales metadata)."""
    node = require_node(store, "store")
    if node.kind == "group":
        ms = multiscale_of(node)
        if ms is not None:
            paths = [d.get("path") for d in ms.get("datasets") or [] if isinstance(d, dict)]
            bad = [p for p in paths if not isinstance(p, str) or not _is_array(node, p)]
            if not paths or bad:
                raise ValueError(
                    f"{node.describe()}: its multiscales metadata lists levels {paths!r}, "
                    f"but {bad or 'none'} are not arrays of the group"
                )
            return node, paths, True
        paths = []
        while _is_array(node, str(len(paths))):
            paths.append(str(len(paths)))
        if not paths:
            raise ValueError(
                f"{node.describe()} has no multiscales metadata and no array '0': pass the path of the "
                f"array to downsample, or of an OME-Zarr image group"
            )
        return node, paths, False
    parent_path = node.path.resolve().parent
    parent = read_node(parent_path)
    if parent is None or parent.kind != "group" or parent.zarr_format != node.zarr_format:
        raise ValueError(
            f"{node.describe()} is not inside a Zarr v{node.zarr_format} group: an OME-Zarr image is a "
            f"group holding its levels, so the levels and the metadata have nowhere to go. Move the array "
            f"into a group (e.g. as {node.path}/0 of a new group) or write an OME-Zarr copy with "
            f"acquire_zarr.to_ome_zarr"
        )
    ms = multiscale_of(parent)
    name = node.path.resolve().name
    if ms is not None:
        paths = [d.get("path") for d in ms.get("datasets") or [] if isinstance(d, dict)]
        if paths and paths[0] == name:
            return _resolve(parent_path)
        raise ValueError(
            f"{node.describe()}: its group {parent_path} is already an image of {paths!r}; pass that group "
            f"to add levels to it"
        )
    return parent, [name], False


def _is_array(group: Node, path: str) -> bool:
    try:
        child = read_node(group.path / path)
    except (ValueError, OSError):
        return False
    return child is not None and child.kind == "array" and child.zarr_format == group.zarr_format


def add_pyramid(
    store: Any,
    levels: Optional[int] = None,
    *,
    ndim: Optional[int] = None,
    mode: Any = "mean",
    no_pyramid_axis: Union[int, str, None] = None,
    pyramid_aligns: Any = 2,
    axes: Optional[Sequence[Any]] = None,
    writer: str = "auto",
    overwrite: bool = False,
    validate: Optional[bool] = None,
    slab_bytes: int = DEFAULT_SLAB_BYTES,
) -> List[Tuple[int, ...]]:
    """Add the levels of a multiscale pyramid to an existing image, and
    update its OME-NGFF multiscales metadata. Returns the shape of every
    level, finest first (as linc-convert's ``generate_pyramid``).

    ``store`` (a local path, or a zarr-python Array/Group on a local store)
    is one of:

    - an OME-Zarr image group (0.4 in Zarr v2, 0.5 in Zarr v3): levels are
      added after its last one, named after it (``0``, ``1`` -> ``2``...);
    - a group without multiscales metadata holding an array ``0`` (and maybe
      ``1``, ``2``...): the same, and it gets the metadata;
    - a plain array at ``G/name`` inside a group ``G`` (written by this
      library, zarr-python or another tool): the array is left as it is,
      the levels are written beside it (``name_1``, ``name_2``..., or
      ``s1``, ``s2``... after ``s0``), and ``G`` becomes the image, its
      datasets ``[name, name_1, ...]``. A plain array at the root of a store
      has no group to become the image and is refused (move it into a group,
      or use :func:`acquire_zarr.to_ome_zarr` to write an OME-Zarr copy).

    Parameters (linc-convert's ``generate_pyramid(levels, ndim, mode,
    no_pyramid_axis)``):

    - ``levels``: how many levels to add. None (or -1): the streaming
      pyramid's rule: the last two pooled axes halve while the smaller is
      larger than the larger of their chunk sizes, the third-last (with
      ``ndim=3``) while it is larger than its chunk. A count: that many;
      past the rule's end every pooled axis larger than one sample halves.
    - ``ndim``: how many of the last axes are pooled, 2 (Y, X) or 3 (Z, Y,
      X); default: the image's trailing space axes (from its metadata, or
      dimension names z/y/x), else 2.
    - ``mode``: ``"mean"`` (integers exactly, rounded to nearest with ties to
      even, never overflowing), ``"median"``, ``"min"``, ``"max"`` or
      ``"decimate"`` (the first sample of each block), or an
      :class:`acquire_zarr.DownsamplingMethod`.
    - ``no_pyramid_axis``: a pooled axis to leave at full size, as its index
      among the last ``ndim`` axes (0 = the first of them) or its name.
    - ``overwrite``: make the pyramid again from level 0, replacing the
      levels the image has after it (as linc-convert does); default: add
      levels after the last one.

    Blocks are 2x2 (2x2x2 with Z) samples of the previous level; an odd size
    repeats its last row or column, and an odd last Z plane passes through
    (reduced in Y and X only): the rule of the streaming pyramid, so levels
    made here equal those the engine makes while streaming the same data.

    New levels take level 0's data type, chunks (trimmed to the level's
    shape), shards (their chunk counts trimmed) and codec. They are
    streamed through the engine (a :class:`acquire_zarr.ZarrStream` per
    level into the group, ``overwrite=False``) when it can write that
    layout: Zarr v2 with no compressor, Blosc (lz4/zstd) or Zstd and no
    filters, or Zarr v3 sharded (``bytes`` little endian, then Blosc or
    Zstd, index ``bytes`` + ``crc32c`` at the end), for the ten integer and
    float types. Any other layout (unsharded v3 as zarr-python writes by
    default, other codecs or types, filters, F order) is written with
    zarr-python from a copy of level 0's metadata. ``writer``: ``"auto"``
    (that choice), ``"engine"`` (always the engine: an unsharded v3 source
    gets shards of one chunk; an impossible layout raises) or ``"zarr"``.
    The engine writes its own fill value (0), ``dimension_separator`` ``/``
    and Blosc ``blocksize`` 0; Zstd level 0 is written as 3 (the same).

    Memory: each level is computed from the previous one in reads of at
    most about ``slab_bytes / 2`` of source (one read runs ahead, so about
    ``slab_bytes`` in all, plus the output block it makes and the engine's
    own buffers for the level), each spanning whole source chunks where
    that fits; never the whole level.

    Metadata: the image's axes, units, level-0 scale and translation, name
    and other attributes are kept; every level's transforms are (re)written
    for ``pyramid_aligns`` (default 2: a window of 2, see
    :func:`acquire_zarr.write_ome_metadata`), the ``type`` is the mode's
    (``local_mean``, ``median``, ``local_min``, ``local_max``,
    ``decimate``). A plain array gets ``axes`` (default: its
    dimension_names, else ``yx``, ``zyx``, ``czyx``, ``tczyx``), scale 1 and
    no units: call :func:`acquire_zarr.write_ome_metadata` to set those.
    ``validate`` as there.

    Errors (a path that is not Zarr, a bad ``ndim``, ``mode``, ``levels`` or
    ``no_pyramid_axis``, metadata that would not validate) raise before
    anything is written, naming the value. Levels are written under
    temporary names (``<name>.add_pyramid-tmp``) and renamed once all are
    complete, then the metadata is written: a failure (or a crash) while
    writing leaves the image as it was (a crash may leave the temporary
    directories), and the levels ``overwrite`` replaces are removed only
    then. The store must be on a local filesystem.
    """
    group, paths, has_ms = _resolve(store)
    mode = _check_mode(mode)
    if writer not in ("auto", "engine", "zarr"):
        raise ValueError(f"writer={writer!r}: expected 'auto', 'engine' or 'zarr'")
    if levels is not None:
        if isinstance(levels, bool) or not isinstance(levels, numbers.Integral) or levels < -1:
            raise ValueError(f"levels={levels!r}: expected None, -1 (as many as the rule makes) or a count >= 0")
        levels = None if levels == -1 else int(levels)
    if isinstance(slab_bytes, bool) or not isinstance(slab_bytes, numbers.Integral) or slab_bytes < 1:
        raise ValueError(f"slab_bytes={slab_bytes!r}: expected a positive number of bytes")

    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite={overwrite!r}: expected True or False")
    replaced = paths[1:] if overwrite else []
    paths = paths[:1] if overwrite else paths
    level_nodes = [read_node(group.path / p) for p in paths]
    src0, last = level_nodes[0], level_nodes[-1]
    nd = len(src0.shape)
    if nd < 2:
        raise ValueError(f"{src0.describe()} has {nd} dimension(s); a pyramid needs at least 2")
    zarr = import_zarr("add_pyramid")
    kind = zarr.open_array(str(src0.path), mode="r").dtype
    if getattr(kind, "kind", "") not in ("u", "i", "f"):
        raise ValueError(
            f"{src0.describe()} has data type {kind}: add_pyramid pools numbers (integer or float types)"
        )

    ms = multiscale_of(group) if has_ms else None
    if ms is not None:
        ax = [{**a, "type": a.get("type")} if isinstance(a, dict) else {"name": a} for a in ms.get("axes") or []]
        if len(ax) != nd:
            raise ValueError(f"{group.path}: its metadata has {len(ax)} axes for arrays of {nd} dimensions")
        if axes is not None:
            raise ValueError(
                f"axes={list(axes)!r}: {group.path} already has OME axes "
                f"{[a['name'] for a in ax]}; use write_ome_metadata to change them"
            )
        known = True
    else:
        if axes is not None:
            ax = _ome.normalise_axes(axes, [])
            known = True
        else:
            names = src0.dimension_names()
            known = names is not None
            if names is None:
                if nd not in DEFAULT_AXES:
                    raise ValueError(
                        f"{src0.describe()} has {nd} dimensions and no dimension names; OME-NGFF images have "
                        f"2 to 5 axes"
                    )
                names = DEFAULT_AXES[nd]
            ax = _ome.normalise_axes(None, names)
        if len(ax) != nd:
            raise ValueError(f"axes={[a['name'] for a in ax]!r}: {len(ax)} axes for an array of {nd} dimensions")
    names = [a["name"] for a in ax]
    kinds = [a.get("type") for a in ax]

    trailing = 0
    for k in reversed(kinds):
        if k != "space":
            break
        trailing += 1
    if ndim is None:
        ndim = min(3, max(2, trailing)) if known else 2
        ndim = min(ndim, nd)
    elif isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral) or ndim not in (2, 3):
        raise ValueError(f"ndim={ndim!r}: expected 2 (pool Y and X) or 3 (pool Z, Y and X)")
    ndim = int(ndim)
    if ndim > nd:
        raise ValueError(f"ndim={ndim}: the array has only {nd} dimensions ({names})")
    for i in range(nd - ndim, nd):
        if kinds[i] != "space":
            raise ValueError(
                f"ndim={ndim} pools the last {ndim} axes, but axis {names[i]!r} (index {i}) is a "
                f"{kinds[i] or 'non-space'} axis, not a space axis"
            )
    pooled = list(range(nd - ndim, nd))
    if no_pyramid_axis is not None:
        if isinstance(no_pyramid_axis, str):
            if no_pyramid_axis not in names[nd - ndim:]:
                raise ValueError(
                    f"no_pyramid_axis={no_pyramid_axis!r}: no such axis among the pooled axes "
                    f"{names[nd - ndim:]}"
                )
            drop = names.index(no_pyramid_axis)
        elif isinstance(no_pyramid_axis, bool) or not isinstance(no_pyramid_axis, numbers.Integral):
            raise TypeError(f"no_pyramid_axis={no_pyramid_axis!r}: expected an index among the pooled axes or a name")
        elif not -ndim <= no_pyramid_axis < ndim:
            raise ValueError(
                f"no_pyramid_axis={no_pyramid_axis!r}: no such axis among the {ndim} pooled axes "
                f"{names[nd - ndim:]} (indices 0..{ndim - 1})"
            )
        else:
            drop = nd - ndim + int(no_pyramid_axis) % ndim
        pooled.remove(drop)
    passthrough = nd - 3 if (nd - 3) in pooled else None

    plan = plan_levels(last.shape, src0.chunks(), pooled, levels)
    shapes = [n.shape for n in level_nodes]
    new_names, cur_name, cur = [], paths[-1], list(last.shape)
    for halved in plan:
        cur_name = _next_name(cur_name)
        cur = [-(-n // 2) if d in halved else n for d, n in enumerate(cur)]
        if (group.path / (cur_name + _TMP)).exists():
            raise ValueError(
                f"{group.path / (cur_name + _TMP)} exists: an interrupted add_pyramid left it (remove it), "
                f"or one is running"
            )
        if (group.path / cur_name).exists() and cur_name not in replaced:
            raise ValueError(f"{group.path / cur_name} exists: add_pyramid does not replace a node that is not a level")
        new_names.append(cur_name)
        shapes.append(tuple(cur))

    # The metadata, checked before any data is written.
    all_paths = list(paths) + new_names
    kw = dict(pyramid_aligns=pyramid_aligns, shapes=shapes, paths=all_paths)
    if len(plan) or not has_ms:
        import acquire_zarr as aqz

        kw["multiscales_type"] = _TYPE[mode]
        kw["metadata"] = {
            "description": (
                "Levels computed from the previous one after the fact by acquire_zarr.add_pyramid, over 2-sample "
                "blocks along each pooled axis (an odd edge repeats its last sample; an odd last Z plane passes "
                f"through): {_DESCRIPTION[mode]}."
            ),
            "method": "acquire_zarr.add_pyramid",
            "version": aqz.__version__,
            "kwargs": {"mode": mode, "ndim": ndim, "no_pyramid_axis": no_pyramid_axis},
        }
    if ms is not None:
        base_scale, base_trans = _base_transform(ms, nd)
        space = [i for i in range(nd) if kinds[i] == "space"]
        time = [i for i in range(nd) if kinds[i] == "time"]
        kw.update(
            space_scale=[base_scale[i] for i in space],
            space_translation=[base_trans[i] for i in space],
            time_scale=base_scale[time[0]] if time else 1.0,
        )
    nopool = None
    if no_pyramid_axis is not None:
        nopool = [i for i in range(nd) if kinds[i] == "space"].index(drop)
    ome_version, attrs, _, axis_names = _ome.build_multiscale(
        group, ax, space_unit=None, time_unit=None, no_pool=nopool, **kw
    )
    _ome.check_attrs(ome_version, attrs, str(group.path), validate)

    made = []
    try:
        src_path = group.path / paths[-1]
        for name, halved in zip(new_names, plan):
            made.append(group.path / (name + _TMP))
            _write_level(group, src_path, name + _TMP, src0, shapes[len(paths) + len(made) - 1], halved, mode,
                         passthrough, writer, names, kinds, int(slab_bytes))
            src_path = made[-1]
    except BaseException:
        for p in made:
            shutil.rmtree(p, ignore_errors=True)
        raise
    for p in replaced:
        shutil.rmtree(group.path / p)
    for name, tmp in zip(new_names, made):
        os.replace(tmp, group.path / name)
    _ome.apply(group, ome_version, attrs, all_paths, axis_names, validate)
    return [tuple(s) for s in shapes]


def _base_transform(ms: dict, nd: int) -> Tuple[List[float], List[float]]:
    """Level 0's scale and translation in an existing multiscale."""
    scale, trans = [1.0] * nd, [0.0] * nd
    ds = (ms.get("datasets") or [{}])[0]
    for t in ds.get("coordinateTransformations") or []:
        if t.get("type") == "scale" and isinstance(t.get("scale"), list) and len(t["scale"]) == nd:
            scale = [float(v) for v in t["scale"]]
        if t.get("type") == "translation" and isinstance(t.get("translation"), list) and len(t["translation"]) == nd:
            trans = [float(v) for v in t["translation"]]
    return scale, trans
