#!/usr/bin/env python3
"""Streaming-write benchmark: this project vs. the published acquire-zarr wheel vs. TensorStore.

Workload (issue 2, "Speed and memory"): 2048x2048 uint16 frames, one frame per append,
256 frames by default, Zarr v3 with dims t (unbounded, TIME) / y / x (SPACE), chunks
64x256x256 (t, y, x), shards 1x8x8 chunks, for three codecs:

    none  uncompressed
    lz4   Blosc1 LZ4,  level 1, byte shuffle
    zstd  Blosc1 Zstd, level 1, byte shuffle

and one pyramid case (acquire-zarr only; TensorStore has no streaming pyramid):

    lz4-mean  lz4, plus a multiscale pyramid (downsampling_method MEAN): the store root is
              an OME-Zarr image group with arrays "0" (the frames), "1" (1024x1024), ...

For every implementation x codec the harness starts a fresh child process (so peak RSS is
that case's alone), which loads the pre-generated frames, then times

    create the writer -> append every frame (each append timed) -> close()

and reports wall time, per-append latencies and its own peak RSS (ru_maxrss). Afterwards,
untimed, the output is opened with zarr-python and checked (shape, layout, two frames; for
the pyramid also the levels and level 1's values against 2x2 means of level 0).

Stores go to tmpfs (/dev/shm) unless `--target DIR` says otherwise; `--direct-io on|both` also
runs the acquire-zarr writers with ZARR_DIRECT_IO=1 (cases "ours+direct", "published+direct"),
and the table gives the page cache each stream left behind.

`--s3` streams to S3 instead: the harness starts a local moto_server (signature checking on,
an IAM user's key, one bucket; tests/cpp/s3_fixture.py does it) and runs the cases
"s3-none" / "s3-lz4" (also "s3-zstd"), the same stream written as objects under a prefix of
the bucket, for ours and the published wheel; the bucket is emptied after every run, and the
output is read back through s3fs with zarr-python (every frame, on each case's first run).

Every round also measures the bounds in a child of its own (`--bounds`, on by default): a numpy
memcpy of the frames, a sequential write of the same bytes to the target (+ fsync), and Blosc
alone (Debian's libblosc.so.1 through ctypes) compressing the same chunks with the stream's
codec, block size (256 KiB asked for, as the engine does) and thread count; each row gives its share of its bound and its ratio to
the published wheel. From the same measurements, the *stream bound* of each compressed codec
(stream_bounds) is what any writer of this stream can reach on this machine: Blosc alone plus
one copy of each frame, one chunk layer of fresh memory and the compressed bytes written,
sharing the machine's cores. `--max-threads 1,2` / `--thread-scaling` run every acquire-zarr case once
per thread count ("ours@N") and add a thread-scaling table.

Run `python benchmarks/bench.py --help`; see benchmarks/README.md for what the numbers mean.

The orchestrating process needs only the standard library; the children need numpy (and
`acquire_zarr` or `tensorstore`), the verifier needs zarr-python -- the project's venv has
all of them, the published wheel gets a venv of its own (created on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

from _children import warm_memory

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OURS_PYTHON = REPO / ".venv" / "bin" / "python"
PUBLISHED_VENV = HERE / ".venv-published"
PUBLISHED_PYTHON = PUBLISHED_VENV / "bin" / "python"
PUBLISHED_REQUIREMENT = "acquire-zarr==0.10.0"

# Default target tmpfs: we measure the writer, not a disk (--target picks another
# directory, e.g. on a real disk). One sub-directory per invocation, so two benchmarks
# started at once don't delete each other's files. Set by set_target().
DEFAULT_TARGET = Path("/dev/shm")
BENCH_ROOT = DEFAULT_TARGET / "aqz-bench" / f"run-{os.getpid()}"
FRAMES_FILE = BENCH_ROOT / "frames.npy"
STORE_DIR = BENCH_ROOT / "stores"

# --direct-io: the acquire-zarr writers (ours and the published wheel honour the same
# variable) run with ZARR_DIRECT_IO=1 in their environment; those cases are named
# "<impl>+direct". TensorStore has no such switch and always writes buffered.
DIRECT_SUFFIX = "+direct"
DIRECT_IMPLS = ("ours", "published")
# --max-threads 1,2 / --thread-scaling: one case per thread count, named "<impl>@<N>".
THREADS_SEP = "@"

# The bounds (--bounds, on by default): measured in a child of their own in every round,
# like a case. BLOSC_LIBRARY is Debian's c-blosc, the library the engine links; the
# engine compresses each chunk with one blosc_compress_ctx call on one thread
# (numinternalthreads 1, BLOSC_BLOCK_SIZE blocks), its workers taking chunks in parallel,
# so the bound does the same with that many Python threads (ctypes releases the GIL).
BOUNDS = "bounds"
BLOSC_LIBRARY = "libblosc.so.1"
BLOSC_BLOCK_SIZE = 256 * 1024  # src/codec/ChunkCompressor.cpp: kBloscBlockSize
BLOSC_MAX_OVERHEAD = 16
WRITE_BLOCK = 64 * 2**20  # the sequential-write bound's write size
WRITE_CAP_BYTES = 2 * 2**30  # see write_cap

FRAME_SHAPE = (2048, 2048)  # (y, x)
DTYPE = "uint16"
CHUNK_SHAPE = (64, 256, 256)  # (t, y, x)
# Chunks per shard along (t, y, x); --shard-t sets the first, --shard-yx the other two
# (children inherit them through the environment).
SHARD_CHUNKS = (int(os.environ.get("AQZ_BENCH_SHARD_T", "1")),
                *(2 * (int(os.environ.get("AQZ_BENCH_SHARD_YX", "8")),)))
DISTINCT_FRAMES = 8  # frames cycled through; 8 x 8 MiB = 64 MiB of baseline RSS
FRAME_SEED = 20240611

IMPLS = ("ours", "published", "tensorstore")
# codec name -> (blosc cname, clevel, shuffle) or None for uncompressed
CODECS = {"none": None, "lz4": ("lz4", 1, 1), "zstd": ("zstd", 1, 1)}

# Pyramid cases: name -> (codec of every level, DownsamplingMethod member). The writer's
# store root becomes an OME-Zarr image group holding one array per level: "0" is the full
# resolution (what is appended), "1" halves y and x, and so on. Not run for TensorStore.
PYRAMIDS = {"lz4-mean": ("lz4", "MEAN")}
# S3 cases (--s3): name -> codec. The same stream as the filesystem case of that codec,
# written to a bucket of a local moto_server instead of a directory.
S3_CASES = {"s3-none": "none", "s3-lz4": "lz4", "s3-zstd": "zstd"}
S3_DEFAULT_CASES = ("s3-none", "s3-lz4")
# moto holds every object (and, until an upload completes, its parts): a shorter stream by
# default, 128 frames = two shard rows (1.07 GB), so that the first row's uploads overlap
# the second row's appends, as in a longer acquisition (with one row, every byte goes up
# in close(): a shard is complete only with its last frame).
S3_DEFAULT_FRAMES = 128
S3_FIXTURE_DIR = REPO / "tests" / "cpp"  # s3_fixture.py: start_moto(), bootstrap(), stop()
CASES = (*CODECS, *PYRAMIDS, *S3_CASES)  # what --codec accepts

# Issue 2 targets for ours vs. published: throughput ratio per codec, and peak RSS <= published.
TARGET_SPEEDUP = {"none": 2.0, "lz4": 1.5}
# Issue 9 targets: throughput ratio to the published wheel per codec, and for the compressed
# codecs a share of Blosc alone on the same threads (the bound measured in the same run).
ISSUE9_SPEEDUP = {"none": 2.5, "lz4": 1.8, "zstd": 1.8}
ISSUE9_BOUND_SHARE = {"lz4": 0.90, "zstd": 0.90}
# Pyramid targets (issue text): throughput >= 1.5x the published wheel's on the same pyramid
# workload, and wall time <= 1.4x our own plain stream with the same codec (PYRAMIDS[case][0]).
PYRAMID_TARGET_SPEEDUP = 1.5
PYRAMID_TARGET_COST = 1.4
# Largest allowed |level 1 - mean of its 2x2 block of level 0|: ours rounds the mean to the
# nearest integer (ties to even), the published wheel truncates it.
PYRAMID_MEAN_TOLERANCE = {"ours": 0.5, "published": 1.0}

CHILD_TIMEOUT_S = 900
RESULT_MARKER = "BENCH-RESULT "


# --------------------------------------------------------------------------------------
# Child side: runs in a fresh interpreter of the implementation's venv.
# --------------------------------------------------------------------------------------


def make_frames(path: Path, n_distinct: int, seed: int) -> None:
    """Write `n_distinct` realistic frames to `path` (.npy): smooth background + bright
    blobs that drift from frame to frame + Poisson shot noise. Compressible, but not
    trivially so (about what a camera on a fluorescence microscope produces)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    h, w = FRAME_SHAPE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = 100.0 + 40.0 * np.sin(xx / 170.0) * np.cos(yy / 230.0)  # uneven illumination
    for _ in range(400):  # "cells": gaussian blobs, added in a window around each centre
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        sigma = rng.uniform(4.0, 25.0)
        amp = rng.uniform(200.0, 3000.0)
        r = int(3 * sigma) + 1
        y0, y1 = max(int(cy) - r, 0), min(int(cy) + r, h)
        x0, x1 = max(int(cx) - r, 0), min(int(cx) + r, w)
        gy = np.exp(-((np.arange(y0, y1) - cy) ** 2) / (2 * sigma**2))
        gx = np.exp(-((np.arange(x0, x1) - cx) ** 2) / (2 * sigma**2))
        scene[y0:y1, x0:x1] += amp * np.outer(gy, gx)
    frames = np.empty((n_distinct, h, w), dtype=np.uint16)
    for k in range(n_distinct):
        drifted = np.roll(scene, shift=(3 * k, 2 * k), axis=(0, 1)) * (1.0 - 0.01 * k)
        frames[k] = np.clip(rng.poisson(drifted), 0, 65535)
    np.save(path, frames)


def set_target(target: Path) -> None:
    global BENCH_ROOT, FRAMES_FILE, STORE_DIR
    BENCH_ROOT = Path(target) / "aqz-bench" / f"run-{os.getpid()}"
    FRAMES_FILE = BENCH_ROOT / "frames.npy"
    STORE_DIR = BENCH_ROOT / "stores"


def base_impl(impl: str) -> str:
    """"ours+direct" -> "ours", "published@2" -> "published": the writer, whatever its I/O
    mode and thread count."""
    impl = impl.split(THREADS_SEP, 1)[0]
    return impl[: -len(DIRECT_SUFFIX)] if impl.endswith(DIRECT_SUFFIX) else impl


def is_direct(impl: str) -> bool:
    return impl.split(THREADS_SEP, 1)[0].endswith(DIRECT_SUFFIX)


def threads_of(impl: str, default: int) -> int:
    """The max_threads of a case: N for "ours@N" (--max-threads with several values or
    --thread-scaling), else `default` (--max-threads, 0 = the library's default)."""
    return int(impl.split(THREADS_SEP, 1)[1]) if THREADS_SEP in impl else default


def variant_of(impl: str) -> str:
    """What follows the writer's name: "", "+direct", "@2", "+direct@2"."""
    return impl[len(base_impl(impl)):]


def resolved_threads(max_threads: int) -> int:
    """The worker count an acquire-zarr stream gets for `max_threads` (ours resolves 0 as
    ZARR_MAX_THREADS or the hardware's thread count; the published wheel uses the
    hardware's): what the Blosc bound is measured with."""
    if max_threads > 0:
        return max_threads
    try:
        env = int(os.environ.get("ZARR_MAX_THREADS", "0"))
    except ValueError:
        env = 0
    return env if env > 0 else (os.cpu_count() or 1)


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding `path` (its mount in /proc/mounts)."""
    best, kind = "", "?"
    try:
        real = os.path.realpath(path)
        with open("/proc/mounts") as f:
            for line in f:
                fields = line.split()
                point = fields[1].replace("\\040", " ")
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


def page_cache_bytes() -> int:
    """The kernel's page cache now ("Cached" in /proc/meminfo: file pages, tmpfs
    included)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Cached:"):
                return int(line.split()[1]) * 1024
    return 0


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_seconds() -> float:
    """user + system CPU time of this process, all threads."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def compression_of(case: str) -> str:
    """The codec (a CODECS key) of a case: the case itself, a pyramid's or an S3 case's codec."""
    if case in PYRAMIDS:
        return PYRAMIDS[case][0]
    return S3_CASES.get(case, case)


def is_s3(case: str) -> bool:
    return case in S3_CASES


def acquire_zarr_settings(aqz, np, store: str, case: str, max_threads: int, s3=None):
    """The workload in the acquire-zarr (published 0.10.0 == this project's) Python API.
    With `s3` (endpoint, bucket, region), `store` is the key prefix in that bucket; the
    credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as both libraries read."""
    codec = compression_of(case)
    dims = [
        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                      chunk_size_px=CHUNK_SHAPE[0], shard_size_chunks=SHARD_CHUNKS[0]),
        aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=FRAME_SHAPE[0],
                      chunk_size_px=CHUNK_SHAPE[1], shard_size_chunks=SHARD_CHUNKS[1]),
        aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=FRAME_SHAPE[1],
                      chunk_size_px=CHUNK_SHAPE[2], shard_size_chunks=SHARD_CHUNKS[2]),
    ]
    compression = None
    if CODECS[codec] is not None:
        cname, clevel, shuffle = CODECS[codec]
        compression = aqz.CompressionSettings(
            compressor=aqz.Compressor.BLOSC1,
            codec={"lz4": aqz.CompressionCodec.BLOSC_LZ4,
                   "zstd": aqz.CompressionCodec.BLOSC_ZSTD}[cname],
            level=clevel,
            shuffle=shuffle,
        )
    settings = aqz.StreamSettings(store_path=store, version=aqz.ZarrVersion.V3,
                                  overwrite=True, max_threads=max_threads)
    if s3:
        settings.s3 = aqz.S3Settings(endpoint=s3["endpoint"], bucket_name=s3["bucket"],
                                     region=s3["region"])
    pyramid = {}
    if case in PYRAMIDS:
        pyramid["downsampling_method"] = getattr(aqz.DownsamplingMethod, PYRAMIDS[case][1])
    settings.arrays = [aqz.ArraySettings(output_key="", dimensions=dims, data_type=np.uint16,
                                         compression=compression, **pyramid)]
    return settings


def run_acquire_zarr(frames, n_frames: int, store: str, case: str, max_threads: int,
                     s3=None) -> dict:
    import numpy as np
    import acquire_zarr as aqz

    aqz.set_log_level(aqz.LogLevel.ERROR)
    settings = acquire_zarr_settings(aqz, np, store, case, max_threads, s3)
    info = {"module": aqz.__file__, "zarr_direct_io": os.environ.get("ZARR_DIRECT_IO", "")}
    try:
        info["estimated_max_memory_bytes"] = int(settings.get_maximum_memory_usage())
    except Exception as e:  # not worth failing the benchmark over
        info["estimated_max_memory_bytes"] = f"error: {e}"

    latencies_ns, rss_samples = [], []
    k = len(frames)
    t0 = time.perf_counter()
    stream = aqz.ZarrStream(settings)
    for i in range(n_frames):
        frame = frames[i % k]
        a = time.perf_counter_ns()
        stream.append(frame)
        latencies_ns.append(time.perf_counter_ns() - a)
        if i % 8 == 7:
            rss_samples.append(current_rss_bytes())
    t_appended = time.perf_counter()
    stream.close()
    t1 = time.perf_counter()
    return dict(info, wall_s=t1 - t0, close_s=t1 - t_appended,
                latencies_ns=latencies_ns, rss_samples=rss_samples)


def tensorstore_spec(store: str, codec: str, n_frames: int) -> dict:
    """The same sharded zarr3 layout acquire-zarr writes, with the same blosc config."""
    inner = [{"name": "bytes", "configuration": {"endian": "little"}}]
    if CODECS[codec] is not None:
        cname, clevel, shuffle = CODECS[codec]
        inner.append({"name": "blosc", "configuration": {
            "cname": cname, "clevel": clevel,
            "shuffle": ["noshuffle", "shuffle", "bitshuffle"][shuffle],
            "typesize": 2, "blocksize": 0}})
    shard_shape = [c * s for c, s in zip(CHUNK_SHAPE, SHARD_CHUNKS)]
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": store},
        "metadata": {
            # TensorStore needs the extent up front (acquire-zarr grows t as frames arrive and
            # writes the final shape at close); the written bytes are the same.
            "shape": [n_frames, *FRAME_SHAPE],
            "data_type": DTYPE,
            "fill_value": 0,
            "dimension_names": ["t", "y", "x"],
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shard_shape}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": list(CHUNK_SHAPE),
                "codecs": inner,
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                 {"name": "crc32c"}],
                "index_location": "end",
            }}],
        },
        "create": True,
        "delete_existing": True,
    }


def run_tensorstore(frames, n_frames: int, store: str, codec: str, mode: str) -> dict:
    """Stream frames into TensorStore; each "append" is one frame handed to the writer.

    A chunk layer (64 frames) is exactly one row of shards here, and TensorStore should see
    whole shards at once: written frame by frame without a transaction it would read back
    and re-encode a shard on every write. So frames are gathered per layer, one of:

    "layer" (default): frames are copied into one reusable 64-frame numpy staging buffer
      (this copy is the append, like acquire-zarr copying a frame into its chunk buffers);
      when the layer is full it goes out in one synchronous `write()` of whole shards, which
      may reference the buffer (no second copy). The 64th append carries the encode + write.
      Chosen because it was the fastest and leanest: same or lower CPU time than "txn" at
      256 frames, clearly lower at 1024 (10.6 vs 13.8 CPU s), and its RSS stays flat
      (~940 MiB) where both transaction modes kept growing (2.2 / 3.3 GiB at 1024 frames).
    "txn": each frame is written into a transaction (TensorStore copies it into its own
      chunk buffers, ~3 ms per frame) and the transaction is committed when the layer is full.
    "txn-async": like "txn", but the commit runs in the background while the next layer is
      filled (at most one commit in flight). Smaller p99, no more throughput on 2 cores.
    """
    import numpy as np
    import tensorstore as ts

    spec = tensorstore_spec(store, codec, n_frames)
    layer = CHUNK_SHAPE[0]
    k = len(frames)
    latencies_ns, rss_samples = [], []

    t0 = time.perf_counter()
    ds = ts.open(spec).result()
    txn, in_flight = ts.Transaction(), None
    staging = np.empty((layer, *FRAME_SHAPE), dtype=np.uint16) if mode == "layer" else None
    for i in range(n_frames):
        frame = frames[i % k]
        a = time.perf_counter_ns()
        layer_full = i % layer == layer - 1 or i == n_frames - 1
        if mode == "layer":
            staging[i % layer] = frame
            if layer_full:
                start = i - i % layer
                ds[start:i + 1].write(staging[: i + 1 - start],
                                      can_reference_source_data_indefinitely=True).result()
        else:
            ds.with_transaction(txn)[i].write(frame).result()
            if layer_full:
                if mode == "txn":
                    txn.commit_sync()
                else:
                    if in_flight is not None:
                        in_flight.result()  # back-pressure: at most one commit in flight
                    in_flight = txn.commit_async()
                txn = ts.Transaction()
        latencies_ns.append(time.perf_counter_ns() - a)
        if i % 8 == 7:
            rss_samples.append(current_rss_bytes())
    t_appended = time.perf_counter()
    if in_flight is not None:
        in_flight.result()
    del ds  # "close": nothing is left buffered once the commits are done
    t1 = time.perf_counter()
    return dict(module=ts.__file__, ts_mode=mode, wall_s=t1 - t0, close_s=t1 - t_appended,
                latencies_ns=latencies_ns, rss_samples=rss_samples)


def child_main(cfg: dict) -> None:
    import numpy as np

    frames = np.load(cfg["frames_file"])  # read into anonymous memory, like camera buffers
    frames = [np.ascontiguousarray(f) for f in frames]
    n_frames, store, codec = cfg["frames"], cfg["store"], cfg["codec"]
    impl = base_impl(cfg["impl"])
    if impl == "tensorstore":
        import tensorstore  # noqa: F401  (import before the baseline is read)
    else:
        import acquire_zarr  # noqa: F401
    baseline_rss = current_rss_bytes()
    baseline_peak = peak_rss_bytes()

    cpu0 = cpu_seconds()
    if impl == "tensorstore":
        result = run_tensorstore(frames, n_frames, store, codec, cfg["ts_mode"])
    else:
        result = run_acquire_zarr(frames, n_frames, store, codec, cfg["max_threads"],
                                  cfg.get("s3"))
    result.update(
        cpu_s=cpu_seconds() - cpu0,  # includes settings/open, a few ms
        baseline_rss_bytes=baseline_rss,
        baseline_peak_rss_bytes=baseline_peak,
        peak_rss_bytes=peak_rss_bytes(),
        bytes_appended=n_frames * FRAME_SHAPE[0] * FRAME_SHAPE[1] * 2,
        numpy=np.__version__,
    )
    try:
        from importlib.metadata import version

        result["version"] = version("tensorstore" if impl == "tensorstore" else "acquire-zarr")
    except Exception:
        result["version"] = "?"
    print(RESULT_MARKER + json.dumps(result), flush=True)


def bounds_main(cfg: dict) -> None:
    """The bounds of the stream on this machine, now (a child of its own, in the project
    venv): what no writer of these frames can beat.

    memcpy: every frame copied (numpy) into a preallocated, already touched buffer of one
      chunk layer (64 frames), as a writer copies frames into its buffers.
    write: the same byte count written to a file in the target directory in large
      (64 MiB) sequential writes, then fsync: the file system's bound.
    blosc-<cname>@<N>: the frames' chunks (64x256x256, built untimed from the frames, one
      layer of 64 chunks, compressed frames/64 times over) compressed with Blosc alone,
      the stream's codec, level, shuffle, typesize 2 and 256 KiB blocks asked for, one
      blosc_compress_ctx call per chunk on one thread, N threads taking chunks in turn.
    Each is bytes of frames / time (GB = 1e9 bytes)."""
    import ctypes
    import itertools
    import threading

    import numpy as np

    frames = [np.ascontiguousarray(f) for f in np.load(cfg["frames_file"])]
    n, k = cfg["frames"], len(frames)
    frame_bytes = frames[0].nbytes
    total = n * frame_bytes
    out = {"stream_gb": total / 1e9}

    layer = CHUNK_SHAPE[0]
    t0 = time.perf_counter()
    buf = np.empty((layer, *FRAME_SHAPE), dtype=np.uint16)
    buf.fill(1)  # touched: the writer's buffers exist before the frames come
    # Fresh memory for one chunk layer: any writer of 64-frame chunks holds one, and in a
    # fresh process its pages are faulted in once (see stream_bounds).
    out["touch_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(n):
        np.copyto(buf[i % layer], frames[i % k])
    out["memcpy"] = total / (time.perf_counter() - t0) / 1e9

    path = Path(cfg["dir"]) / f"bounds-write-{os.getpid()}.bin"
    per_block = max(1, WRITE_BLOCK // frame_bytes)
    block = np.concatenate([frames[i % k][None] for i in range(per_block)]).tobytes()
    write_total = min(total, cfg.get("write_cap") or total)
    out["write_bytes"] = write_total
    try:
        t0 = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            left = write_total
            view = memoryview(block)
            while left > 0:
                left -= os.write(fd, view[: min(left, len(block))])
            os.fsync(fd)
        finally:
            os.close(fd)
        out["write"] = write_total / (time.perf_counter() - t0) / 1e9
    finally:
        path.unlink(missing_ok=True)
    del block

    if cfg["blosc"]:
        lib = ctypes.CDLL(BLOSC_LIBRARY)
        fn = lib.blosc_compress_ctx
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t,
                       ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                       ctypes.c_size_t, ctypes.c_int]
        try:
            lib.blosc_get_version_string.restype = ctypes.c_char_p
            out["blosc_version"] = lib.blosc_get_version_string().decode()
        except AttributeError:
            out["blosc_version"] = "?"
        ct, cy, cx = CHUNK_SHAPE
        h, w = FRAME_SHAPE
        chunks = []  # one layer's chunks, each contiguous t, y, x
        for ty in range(h // cy):
            for tx in range(w // cx):
                c = np.empty((ct, cy, cx), dtype=np.uint16)
                for t in range(ct):
                    c[t] = frames[t % k][ty * cy:(ty + 1) * cy, tx * cx:(tx + 1) * cx]
                chunks.append(c)
        chunk_bytes = chunks[0].nbytes
        n_calls = -(-total // chunk_bytes)  # as many chunk bytes as frame bytes, rounded up
        for cname, clevel, shuffle, threads in cfg["blosc"]:
            dests = [np.empty(chunk_bytes + BLOSC_MAX_OVERHEAD, dtype=np.uint8)
                     for _ in range(threads)]
            for d in dests:
                d.fill(0)
            counter = itertools.count()
            written = [0] * threads
            errors = []

            def work(j: int) -> None:
                dest = dests[j]
                while True:
                    i = next(counter)  # atomic under the GIL
                    if i >= n_calls:
                        return
                    src = chunks[i % len(chunks)]
                    r = fn(clevel, shuffle, 2, chunk_bytes, src.ctypes.data, dest.ctypes.data,
                           dest.nbytes, cname.encode(), BLOSC_BLOCK_SIZE, 1)
                    if r <= 0:
                        errors.append(r)
                        return
                    written[j] += r

            pool = [threading.Thread(target=work, args=(j,)) for j in range(threads)]
            cpu0 = cpu_seconds()
            t0 = time.perf_counter()
            for th in pool:
                th.start()
            for th in pool:
                th.join()
            elapsed = time.perf_counter() - t0
            cpu = cpu_seconds() - cpu0
            if errors:
                raise RuntimeError(f"blosc_compress_ctx({cname}) returned {errors[0]}")
            key = f"blosc-{cname}@{threads}"
            out[key] = n_calls * chunk_bytes / elapsed / 1e9
            out[key + "-ratio"] = n_calls * chunk_bytes / sum(written)
            out[key + "-cpu"] = cpu  # CPU seconds for the stream's byte count
    print(RESULT_MARKER + json.dumps(out), flush=True)


def verify_main(cfg: dict) -> None:
    """Untimed check of a written store with zarr-python: shape, layout, frame contents.

    For a pyramid case the same checks apply to level 0 (array "0" of the image group at the
    store root); then the group's OME multiscales must list "0", "1", ..., every level must
    have y and x halved (rounded up) from the one before, and level 1 at the two checked
    frames must be the mean of the 2x2 blocks of level 0 (within PYRAMID_MEAN_TOLERANCE)."""
    import numpy as np
    import zarr

    frames = np.load(cfg["frames_file"])
    n = cfg["frames"]
    case = cfg["codec"]
    if cfg.get("s3"):
        arr, meta = open_s3_array(cfg)
    else:
        root = Path(cfg["store"])
        level0 = root / "0" if case in PYRAMIDS else root
        arr = zarr.open_array(str(level0), mode="r")
        meta = None
    problems = []
    if tuple(arr.shape) != (n, *FRAME_SHAPE):
        problems.append(f"shape {tuple(arr.shape)} != {(n, *FRAME_SHAPE)}")
    if arr.dtype != np.dtype(DTYPE):
        problems.append(f"dtype {arr.dtype} != {DTYPE}")
    shard_shape = tuple(c * s for c, s in zip(CHUNK_SHAPE, SHARD_CHUNKS))
    if tuple(arr.shards or ()) != shard_shape or tuple(arr.chunks) != CHUNK_SHAPE:
        problems.append(f"shards {arr.shards} / chunks {arr.chunks} != {shard_shape} / {CHUNK_SHAPE}")
    if meta is None:
        meta = json.loads((level0 / "zarr.json").read_text())
    inner = meta["codecs"][0]["configuration"]["codecs"]
    blosc = [c for c in inner if c["name"] == "blosc"]
    want = CODECS[compression_of(case)]
    if want is None and blosc:
        problems.append(f"unexpected compressor {blosc}")
    if want is not None:
        got = blosc[0]["configuration"] if blosc else {}
        if (got.get("cname"), got.get("clevel"), got.get("shuffle")) != (want[0], want[1], "shuffle"):
            problems.append(f"blosc config {got} != {want}")
    checked = sorted({n // 2, n - 1})
    level0_frames = {}
    if not problems:
        for t in checked:
            level0_frames[t] = arr[t]
            if not np.array_equal(level0_frames[t], frames[t % len(frames)]):
                problems.append(f"frame {t} differs")
    result = {}
    if cfg.get("full_check") and not problems:
        # Every frame, one chunk layer at a time (the S3 cases' first run: the whole
        # array read back through s3fs, not only the two frames above).
        k, layer = len(frames), CHUNK_SHAPE[0]
        for t0 in range(0, n, layer):
            got = arr[t0:min(t0 + layer, n)]
            for i, frame in enumerate(got):
                if not np.array_equal(frame, frames[(t0 + i) % k]):
                    problems.append(f"frame {t0 + i} differs")
                    break
            if problems:
                break
        result["frames_compared"] = n if not problems else 0
    if case in PYRAMIDS and not problems:
        result = verify_pyramid(cfg, root, level0_frames, problems)
    print(RESULT_MARKER + json.dumps({"ok": not problems, "problems": problems, **result}),
          flush=True)


def open_s3_array(cfg: dict):
    """The array at the S3 prefix `cfg["store"]` through s3fs (zarr-python's FsspecStore),
    and its zarr.json as boto3 reads it. Credentials from the environment, as the writer."""
    import boto3
    import botocore.config
    import zarr
    import zarr.storage

    s3 = cfg["s3"]
    key_id, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    store = zarr.storage.FsspecStore.from_url(
        f"s3://{s3['bucket']}/{cfg['store']}", read_only=True,
        storage_options={"key": key_id, "secret": secret,
                         "client_kwargs": {"endpoint_url": s3["endpoint"],
                                           "region_name": s3["region"]}})
    arr = zarr.open_array(store, mode="r")
    boto = boto3.client("s3", endpoint_url=s3["endpoint"], region_name=s3["region"],
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=botocore.config.Config(s3={"addressing_style": "path"}))
    body = boto.get_object(Bucket=s3["bucket"], Key=f"{cfg['store']}/zarr.json")["Body"]
    return arr, json.loads(body.read())


def verify_pyramid(cfg: dict, root: Path, level0_frames: dict, problems: list) -> dict:
    """The levels above level 0 (see verify_main). Returns the level shapes found."""
    import numpy as np
    import zarr

    n = cfg["frames"]
    group = json.loads((root / "zarr.json").read_text())
    if group.get("node_type") != "group":
        problems.append(f"store root is a {group.get('node_type')}, not a group")
    multiscales = group.get("attributes", {}).get("ome", {}).get("multiscales") or [{}]
    paths = [d.get("path") for d in multiscales[0].get("datasets", [])]
    if len(paths) < 2 or paths != [str(i) for i in range(len(paths))]:
        problems.append(f"multiscales datasets {paths}, want 0, 1, ...")
    shapes, want = [], (n, *FRAME_SHAPE)
    for level, path in enumerate(paths):
        try:
            a = zarr.open_array(str(root / path), mode="r")
        except Exception as e:
            problems.append(f"level {path}: {type(e).__name__}: {e}")
            break
        shapes.append(list(a.shape))
        if level > 0:
            want = (n, (want[1] + 1) // 2, (want[2] + 1) // 2)
        if tuple(a.shape) != want or a.dtype != np.dtype(DTYPE):
            problems.append(f"level {path}: {tuple(a.shape)} {a.dtype}, want {want} {DTYPE}")
    if problems:
        return {"levels": shapes}

    level1 = zarr.open_array(str(root / "1"), mode="r")
    tolerance = PYRAMID_MEAN_TOLERANCE[base_impl(cfg["impl"])]
    worst = 0.0
    for t, full in level0_frames.items():  # whole frames: a superset of a spot check
        h, w = FRAME_SHAPE
        mean = full.astype(np.float64).reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        diff = np.abs(level1[t].astype(np.float64) - mean)
        worst = max(worst, float(diff.max()))
        if diff.max() > tolerance:
            y, x = np.unravel_index(int(diff.argmax()), diff.shape)
            problems.append(f"level 1 frame {t} at (y={y}, x={x}) = {int(level1[t, y, x])}, "
                            f"2x2 mean of level 0 = {mean[y, x]:.2f} (tolerance {tolerance})")
    return {"levels": shapes, "level1_max_abs_diff": worst}


# --------------------------------------------------------------------------------------
# Parent side: orchestration, stdlib only.
# --------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_python(python: Path, args: list[str], timeout: float = CHILD_TIMEOUT_S,
               direct_io: bool = False, s3: bool = False) -> dict:
    """Runs this script in `python`. The child gets ZARR_DIRECT_IO=1 when `direct_io`,
    else no ZARR_DIRECT_IO at all (whatever the parent's environment says). With `s3`, it
    gets the bench server's key as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and none of
    the caller's other AWS credentials (a session token or profile would not match it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "ZARR_DIRECT_IO")}
    if direct_io:
        env["ZARR_DIRECT_IO"] = "1"
    if s3:
        for k in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
                  "AWS_SHARED_CREDENTIALS_FILE"):
            env.pop(k, None)
        env["AWS_ACCESS_KEY_ID"] = S3_SERVER["key_id"]
        env["AWS_SECRET_ACCESS_KEY"] = S3_SERVER["secret"]
    proc = subprocess.run([str(python), str(Path(__file__).resolve()), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=HERE, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    died = ""
    if proc.returncode < 0:  # the last line is what the failure is reported as
        try:
            died = f"\nkilled by {signal.Signals(-proc.returncode).name}"
        except ValueError:
            died = f"\nkilled by signal {-proc.returncode}"
    raise RuntimeError(f"{python} {' '.join(args[:2])} exited {proc.returncode}:\n"
                       f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}{died}")


def ensure_published_venv() -> None:
    """Create benchmarks/.venv-published with the published wheel, and the project's numpy
    and zarr (zarr for tests/python/test_readme.py, which runs the README's quick start
    against the published wheel too and reads it back with zarr)."""
    if PUBLISHED_PYTHON.exists():
        ok = subprocess.run([str(PUBLISHED_PYTHON), "-c", "import acquire_zarr, numpy, zarr"],
                            capture_output=True).returncode == 0
        if ok:
            return
    log(f"creating {PUBLISHED_VENV} with {PUBLISHED_REQUIREMENT} ...")
    venv.EnvBuilder(with_pip=True, clear=True).create(PUBLISHED_VENV)
    requirements = [PUBLISHED_REQUIREMENT]
    for package in ("numpy", "zarr"):
        requirement = package
        if OURS_PYTHON.exists():  # the project's version: same frame handling, same reader
            r = subprocess.run(
                [str(OURS_PYTHON), "-c",
                 f"from importlib.metadata import version; print(version('{package}'))"],
                capture_output=True, text=True)
            if r.returncode == 0:
                requirement = f"{package}=={r.stdout.strip()}"
        requirements.append(requirement)
    subprocess.run([str(PUBLISHED_PYTHON), "-m", "pip", "install", "--quiet", *requirements],
                   check=True)


def python_for(impl: str) -> Path:
    return PUBLISHED_PYTHON if base_impl(impl) == "published" else OURS_PYTHON


def impl_available(impl: str) -> tuple[bool, str]:
    module = "tensorstore" if base_impl(impl) == "tensorstore" else "acquire_zarr"
    r = subprocess.run([str(python_for(impl)), "-c", f"import {module}; print({module}.__file__)"],
                       capture_output=True, text=True, cwd=HERE)
    if r.returncode == 0:
        return True, r.stdout.strip()
    return False, (r.stderr.strip().splitlines() or ["?"])[-1]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --------------------------------------------------------------------------------------
# --s3: a local moto_server, started and stopped by the harness (tests/cpp/s3_fixture.py).
# Set by start_s3_server(): endpoint, region, bucket, key_id, secret, boto (a boto3 client
# with the key), server (the Popen), moto (its version), tmp (where it spills objects).
# --------------------------------------------------------------------------------------

S3_SERVER: dict | None = None
MOTO_MALLOC_ENV = {"MALLOC_ARENA_MAX": "2"}  # see start_s3_server


def in_project_venv() -> bool:
    """Whether this interpreter is the project venv's: s3_fixture.start_moto() runs the
    moto_server next to the interpreter, and the bench means .venv/bin/moto_server (the
    one `make venv` installs and the tests use; another moto may check signatures
    differently), with the venv's boto3."""
    return Path(sys.executable).parent == OURS_PYTHON.parent


def meminfo_bytes(field: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def process_rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU time of a running process, all its threads (/proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def start_s3_server() -> None:
    """moto_server on loopback with signature checking, an IAM user's key and the bucket
    (s3_fixture.start_moto() + bootstrap()). moto keeps small objects in its memory and
    spills larger ones (and parts) to temporary files: TMPDIR points them at BENCH_ROOT
    (tmpfs by default), so the server, like the filesystem cases, measures no disk."""
    global S3_SERVER
    sys.path.insert(0, str(S3_FIXTURE_DIR))
    import tempfile

    import s3_fixture

    tempfile.gettempdir()  # ours stays where it was; only moto's environment changes
    tmp = BENCH_ROOT / "moto-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    # start_moto() hands moto a copy of our environment. Besides TMPDIR: with glibc's
    # default of up to 8 malloc arenas per core, moto's threads (one per connection) kept
    # the freed 5 MiB request bodies in ever more arenas, and its RSS crept up by ~50 MiB
    # per stream although the bucket was emptied (1.4 GiB after 20 streams); with 2 arenas
    # it stays at ~150-250 MiB, at no measurable cost. (MALLOC_MMAP_THRESHOLD_=1 MiB kept
    # it flat too, but cost moto ~1.2 s more CPU per stream: moto is the bottleneck.)
    moto_env = {"TMPDIR": str(tmp)}
    moto_env.update(MOTO_MALLOC_ENV)
    saved = {k: os.environ.get(k) for k in moto_env}
    os.environ.update(moto_env)
    try:
        server, url = s3_fixture.start_moto()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        boto, key, _ = s3_fixture.bootstrap(url)
    except BaseException:
        s3_fixture.stop(server)
        raise
    try:
        from importlib.metadata import version

        moto_version = version("moto")
    except Exception:
        moto_version = "?"
    S3_SERVER = {"endpoint": url, "region": s3_fixture.REGION, "bucket": s3_fixture.BUCKET,
                 "key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"], "boto": boto,
                 "server": server, "moto": moto_version, "tmp": tmp, "stop": s3_fixture.stop}


def stop_s3_server() -> None:
    global S3_SERVER
    if S3_SERVER is not None:
        S3_SERVER["stop"](S3_SERVER["server"])
        S3_SERVER = None


def s3_prefix_bytes(prefix: str) -> int:
    boto, bucket = S3_SERVER["boto"], S3_SERVER["bucket"]
    pages = boto.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
    return sum(o["Size"] for page in pages for o in page.get("Contents", []))


def empty_bucket() -> None:
    """Deletes every object of the bench bucket and aborts every unfinished multipart
    upload (a writer that failed may leave one), so moto's memory does not grow."""
    boto, bucket = S3_SERVER["boto"], S3_SERVER["bucket"]
    for page in boto.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            boto.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    for page in boto.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for u in page.get("Uploads", []):
            boto.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])


def check_s3_memory(frames: int) -> None:
    """moto holds a stream's parts and then the completed object (at most twice the bytes
    appended, uncompressed) besides the writer's own memory and the warm-up; refuse to
    start a bench that cannot fit."""
    stream = frames * FRAME_SHAPE[0] * FRAME_SHAPE[1] * 2
    need = 2 * stream + 4 * 2**30
    available = meminfo_bytes("MemAvailable")
    if available < need:
        sys.exit(f"--s3: {frames} frames need about {need / 2**30:.1f} GiB of free memory (moto "
                 f"keeps the stream twice, plus the writer), {available / 2**30:.1f} GiB available"
                 ": use fewer --frames")
    free = shutil.disk_usage(BENCH_ROOT.parent).free
    if free < 2 * stream:
        sys.exit(f"--s3: moto spills objects into {BENCH_ROOT.parent}: "
                 f"{free / 2**30:.1f} GiB free, {2 * stream / 2**30:.1f} GiB needed")


def bounds_config(args) -> list:
    """(cname, clevel, shuffle, threads) for every Blosc bound the cases need: each
    compressed codec asked for, at each thread count a case runs with."""
    threads = sorted({resolved_threads(threads_of(i, args.max_threads)) for i in args.impl})
    codecs = sorted({compression_of(c) for c in args.codec if not is_s3(c)}
                    - {"none"})
    return [(*CODECS[c], t) for c in codecs for t in threads]


def write_cap(args) -> int:
    """The write bound writes the stream's byte count when an uncompressed case (whose
    bound it is) runs; else at most WRITE_CAP_BYTES (a long compressed run's raw byte count
    need not fit the target a second time)."""
    if any(CODECS[compression_of(c)] is None for c in args.codec if not is_s3(c)):
        return 0
    return WRITE_CAP_BYTES


def run_bounds(args) -> dict:
    """One measurement of the bounds (bounds_main), after the same warm-up as a case."""
    warm_memory(args.warm_gib)
    cfg = {"frames_file": str(FRAMES_FILE), "frames": args.frames, "dir": str(STORE_DIR),
           "blosc": bounds_config(args), "write_cap": write_cap(args)}
    return run_python(OURS_PYTHON, ["--bounds-child", json.dumps(cfg)])


def bound_key(impl: str, codec: str, args) -> str | None:
    """Which bound a case is measured against: none -> min(memcpy, write) (key "none"),
    a compressed codec (a pyramid: its level-0 codec) -> Blosc alone with it on the
    case's thread count."""
    if is_s3(codec):
        return None
    c = compression_of(codec)
    if CODECS[c] is None:
        return "none"
    return f"blosc-{CODECS[c][0]}@{resolved_threads(threads_of(impl, args.max_threads))}"


def machine_cores() -> int:
    """The CPUs this process may run on (what a writer and everything it does share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def is_blosc_bound(key: str) -> bool:
    """Whether a bounds key is a Blosc-alone throughput ("blosc-<cname>@<N>"), not one of
    its companions (its "-ratio", its "-cpu")."""
    return key.startswith("blosc-") and "@" in key and not key.endswith(("-ratio", "-cpu"))


def stream_bounds(r: dict, cores: int, tmpfs: bool) -> dict:
    """The *stream bound* of each Blosc bound of one round (key "stream-<cname>@<N>"): the
    most GB/s of frames any writer of this stream can reach on this machine, from costs
    measured in the same round. Besides compressing (Blosc alone on N threads) a writer
    must copy each frame once (a chunk spans 64 frames, so it keeps them: one thread,
    the caller's, at the memcpy bound) and write the compressed bytes (one file lane at
    the write bound). Each of those takes at least its own time, and on a machine with few
    cores they share them: their CPU seconds together, divided by the cores, bound the
    time too, with the page faults of the one chunk layer of fresh memory it must hold
    (touch_s, once per stream). On tmpfs a write is the kernel's copy, CPU time; on a disk
    it is the device's, not counted as CPU. Per GB of frames:
        time >= max(1/blosc, 1/memcpy, 1/(ratio * write),
                    (blosc CPU + touch + 1/memcpy [+ 1/(ratio * write) on tmpfs]) / cores)
    With more cores than the stream's threads the last term drops below the others and
    the bound tends to Blosc alone."""
    out = {}
    gb = r.get("stream_gb") or 0.0
    for key in filter(is_blosc_bound, r):
        ratio, cpu = r.get(key + "-ratio"), r.get(key + "-cpu")
        if not (gb and ratio and cpu and r.get("memcpy") and r.get("write")):
            continue
        blosc_s, copy_s = 1 / r[key], 1 / r["memcpy"]
        write_s = 1 / (ratio * r["write"])
        cpu_s = (cpu + r.get("touch_s", 0.0)) / gb + copy_s + (write_s if tmpfs else 0.0)
        out["stream-" + key[len("blosc-"):]] = 1 / max(blosc_s, copy_s, write_s, cpu_s / cores)
    return out


def summarize_bounds(runs: list[dict]) -> dict:
    """Medians (and min, max) over the rounds of every bound, plus the "none" bound:
    min(memcpy, write) of each round, and the stream bounds (stream_bounds)."""
    out = {}
    cores = machine_cores()
    tmpfs = filesystem_type(BENCH_ROOT.parent) == "tmpfs"
    for r in runs:
        r = dict(r, none=min(r["memcpy"], r["write"]))
        r.update(stream_bounds(r, cores, tmpfs))
        for key, v in r.items():
            if isinstance(v, (int, float)):
                out.setdefault(key, []).append(v)
    return {k: (statistics.median(v), min(v), max(v)) for k, v in out.items()}


def run_case(impl: str, codec: str, args, run: int = 0, full_check: bool = False) -> dict:
    if is_s3(codec):
        return run_s3_case(impl, codec, args, run, full_check)
    store = STORE_DIR / f"{impl}-{codec}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    warm_memory(args.warm_gib)
    cfg = {"impl": impl, "codec": codec, "frames": args.frames, "store": str(store),
           "frames_file": str(FRAMES_FILE), "max_threads": threads_of(impl, args.max_threads),
           "ts_mode": args.ts_mode}
    try:
        cached = page_cache_bytes()
        result = run_python(python_for(impl), ["--child", json.dumps(cfg)],
                            direct_io=is_direct(impl))
        # What the stream left in the page cache (the store's pages, before anything
        # reads them back; on tmpfs the store itself is page cache).
        result["page_cache_delta_bytes"] = page_cache_bytes() - cached
        result["stored_bytes"] = dir_size(store)
        check = run_python(OURS_PYTHON, ["--verify", json.dumps(cfg)])
        result["verified"] = check["ok"]
        result["problems"] = check["problems"]
        for key in ("levels", "level1_max_abs_diff"):  # pyramid cases only
            if key in check:
                result[key] = check[key]
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return result


def run_s3_case(impl: str, codec: str, args, run: int, full_check: bool) -> dict:
    """One S3 case: its own prefix per run in an emptied bucket; emptied again after, so
    moto holds one stream at a time. Verified like the filesystem cases, and with
    `full_check` (a case's first successful run) every frame is read back (through s3fs)
    and compared."""
    prefix = f"bench-{os.getpid()}/{impl}-{codec}-run{run}"
    empty_bucket()
    warm_memory(args.warm_gib)
    s3 = {k: S3_SERVER[k] for k in ("endpoint", "bucket", "region")}
    cfg = {"impl": impl, "codec": codec, "frames": args.frames, "store": prefix,
           "frames_file": str(FRAMES_FILE), "max_threads": threads_of(impl, args.max_threads),
           "ts_mode": args.ts_mode, "s3": s3, "full_check": full_check}
    try:
        cached = page_cache_bytes()
        moto_cpu = process_cpu_seconds(S3_SERVER["server"].pid)
        result = run_python(python_for(impl), ["--child", json.dumps(cfg)], s3=True)
        # what serving this stream cost the server (it shares the 2 cores with the writer)
        result["moto_cpu_s"] = process_cpu_seconds(S3_SERVER["server"].pid) - moto_cpu
        result["page_cache_delta_bytes"] = page_cache_bytes() - cached
        result["stored_bytes"] = s3_prefix_bytes(prefix)
        result["moto_rss_bytes"] = process_rss_bytes(S3_SERVER["server"].pid)
        check = run_python(OURS_PYTHON, ["--verify", json.dumps(cfg)], s3=True)
        result["verified"] = check["ok"]
        result["problems"] = check["problems"]
        if "frames_compared" in check:
            result["frames_compared"] = check["frames_compared"]
    finally:
        empty_bucket()
    result["moto_rss_emptied_bytes"] = process_rss_bytes(S3_SERVER["server"].pid)
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


MIB = 1024 * 1024


def summarize(runs: list[dict]) -> dict:
    gbps = [r["bytes_appended"] / r["wall_s"] / 1e9 for r in runs]
    return {
        "gbps": statistics.median(gbps), "gbps_min": min(gbps), "gbps_max": max(gbps),
        "p50_ms": statistics.median(percentile(r["latencies_ns"], 50) / 1e6 for r in runs),
        "p99_ms": statistics.median(percentile(r["latencies_ns"], 99) / 1e6 for r in runs),
        "max_ms": statistics.median(max(r["latencies_ns"]) / 1e6 for r in runs),
        "close_ms": statistics.median(r["close_s"] * 1e3 for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "peak_mib": statistics.median(r["peak_rss_bytes"] / MIB for r in runs),
        "peak_mib_max": max(r["peak_rss_bytes"] / MIB for r in runs),
        "base_mib": statistics.median(r["baseline_rss_bytes"] / MIB for r in runs),
        "ratio": statistics.median(r["bytes_appended"] / max(r["stored_bytes"], 1) for r in runs),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cache_mib": statistics.median(r.get("page_cache_delta_bytes", 0) / MIB for r in runs),
        "verified": all(r["verified"] for r in runs),
        "problems": sorted({p for r in runs for p in r["problems"]}),
        "n": len(runs),
        "levels": runs[0].get("levels"),
        "level1_max_abs_diff": max((r.get("level1_max_abs_diff", 0.0) for r in runs), default=0.0),
    }


def render(results: dict, failures: dict, args, notes: list[str]) -> str:
    out = []
    direct = any(is_direct(i) for i in args.impl)
    s3_cases = any(is_s3(c) for c in args.codec)
    if all(is_s3(c) for c in args.codec):
        target = ""
    else:
        target = f", target {BENCH_ROOT.parent} ({filesystem_type(BENCH_ROOT.parent)})"
    out.append(f"Workload: {args.frames} frames of {FRAME_SHAPE[0]}x{FRAME_SHAPE[1]} {DTYPE}, "
               f"one frame per append, chunks {'x'.join(map(str, CHUNK_SHAPE))} (t,y,x), "
               f"shards {'x'.join(map(str, SHARD_CHUNKS))} chunks, Zarr v3{target}. "
               f"Medians of {args.runs} run(s), each case in a fresh process; GB = 1e9 bytes."
               + (f" `{DIRECT_SUFFIX}`: the writer ran with ZARR_DIRECT_IO=1." if direct else "")
               + (f" `s3-*`: streamed to moto_server {args.s3_moto} on loopback (signatures "
                  f"checked; objects it spills go to {BENCH_ROOT.parent}, "
                  f"{filesystem_type(BENCH_ROOT.parent)}), a prefix of its own per run, the "
                  "bucket emptied after each; size ratio from the objects' sizes; every frame "
                  "read back through s3fs on each case's first run." if s3_cases else ""))
    out.append("")
    bounds = summarize_bounds(results[(BOUNDS, "-")]) if results.get((BOUNDS, "-")) else {}
    out.append("| impl | codec | GB/s median (min–max) | × published | % of bound "
               "| append p50 ms | append p99 ms "
               "| append max ms | close ms | CPU s | peak RSS MiB | baseline RSS MiB | size ratio "
               "| page cache +MiB | verified |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summaries = {key: summarize(runs) for key, runs in results.items()
                 if key[0] != BOUNDS and runs}

    def vs_published(impl: str, codec: str) -> str:
        s = summaries.get((impl, codec))
        variant = variant_of(impl) if base_impl(impl) != "tensorstore" else ""
        p = summaries.get(("published" + variant, codec))
        return f"{s['gbps'] / p['gbps']:.2f}×" if s and p else "—"

    def share_of_bound(impl: str, codec: str) -> str:
        s, key = summaries.get((impl, codec)), bound_key(impl, codec, args)
        if not s or key not in bounds:
            return "—"
        return f"{100 * s['gbps'] / bounds[key][0]:.0f}%"

    for codec in args.codec:
        for impl in args.impl:
            key = (impl, codec)
            if not runs_case(impl, codec):
                out.append(f"| {impl} | {codec} | skipped: {skip_reason(impl, codec)} "
                           "| | | | | | | | | | | | |")
                continue
            if key in failures and key not in results:
                out.append(f"| {impl} | {codec} | FAILED: {failures[key]} | | | | | | | | | | | | |")
                continue
            if key not in results:
                continue
            s = summaries[key]
            ver = "yes" if s["verified"] else "NO: " + "; ".join(s["problems"])
            failed = getattr(args, "failure_counts", {}).get(key, 0)
            if is_s3(codec) and failed:  # medians over the runs that completed
                ver += f"; {failed} of {failed + s['n']} runs FAILED: {failures[key]}"
            out.append(f"| {impl} | {codec} | {s['gbps']:.2f} ({s['gbps_min']:.2f}–{s['gbps_max']:.2f}) "
                       f"| {vs_published(impl, codec)} | {share_of_bound(impl, codec)} "
                       f"| {s['p50_ms']:.2f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} | {s['close_ms']:.0f} | {s['cpu_s']:.2f} "
                       f"| {s['peak_mib']:.0f} | {s['base_mib']:.0f} | {s['ratio']:.2f} "
                       f"| {s['cache_mib']:.0f} | {ver} |")
    if bounds:
        out += ["", f"Bounds, measured in the same run (a child of their own in every round, "
                    f"shuffled in with the cases; medians of {len(results[(BOUNDS, '-')])}, "
                    "GB/s of frame bytes). % of bound: ÷ min(memcpy, write) for `none`, ÷ Blosc "
                    "alone with the case's codec (a pyramid: its level-0 codec) and thread count "
                    "for the compressed cases:", "",
                "| bound | GB/s median (min–max) | what |", "|---|---|---|"]
        what = {"memcpy": "numpy copy of every frame into a preallocated 64-frame buffer",
                "write": f"{bounds.get('write_bytes', (0,))[0] / 2**20:.0f} MiB written to "
                         f"{BENCH_ROOT.parent} ({filesystem_type(BENCH_ROOT.parent)}) in 64 MiB "
                         "writes, then fsync",
                "none": "min(memcpy, write), per round"}
        for key in ("memcpy", "write", "none",
                    *sorted(filter(is_blosc_bound, bounds)),
                    *sorted(k for k in bounds if k.startswith("stream-"))):
            if key not in bounds:
                continue
            m, lo, hi = bounds[key]
            if key.startswith("blosc-"):
                cname, threads = key[len("blosc-"):].split("@")
                ratio = bounds.get(key + "-ratio", (0,))[0]
                cpu = bounds.get(key + "-cpu", (0,))[0]
                desc = (f"Blosc alone ({BLOSC_LIBRARY}), {cname} level 1, byte shuffle, "
                        f"256 KiB blocks asked for, one blosc_compress_ctx per 64×256×256 chunk on "
                        f"{threads} thread(s); ratio {ratio:.2f}; {cpu:.2f} CPU s")
            elif key.startswith("stream-"):
                desc = (f"stream bound: Blosc alone ({key[len('stream-'):]}), one copy of each "
                        "frame (memcpy, one thread), one chunk layer of fresh memory "
                        f"({bounds.get('touch_s', (0,))[0]:.2f} s to fault in) and the "
                        "compressed bytes written (write) "
                        f"sharing this machine's {machine_cores()} cores"
                        + (" (on tmpfs a write is CPU time)"
                           if filesystem_type(BENCH_ROOT.parent) == "tmpfs" else "")
                        + "; see bench.stream_bounds")
            else:
                desc = what[key]
            out.append(f"| {key} | {m:.2f} ({lo:.2f}–{hi:.2f}) | {desc} |")
    suffixes = sorted({variant_of(i) for i in args.impl if base_impl(i) == "ours"},
                      key=lambda v: (DIRECT_SUFFIX in v, threads_of("x" + v, 0)))
    ratio_lines = []
    for codec, suffix in ((c, x) for x in suffixes for c in args.codec):
        o = summaries.get(("ours" + suffix, codec))
        p = summaries.get(("published" + suffix, codec))
        if not (o and p):
            continue
        speed = o["gbps"] / p["gbps"]
        mem = o["peak_mib"] / p["peak_mib"]
        own_o, own_p = o["peak_mib"] - o["base_mib"], p["peak_mib"] - p["base_mib"]
        target = TARGET_SPEEDUP.get(codec)
        verdict = ""
        if target:
            verdict = (f" — target ≥{target:g}× and memory ≤ published: "
                       f"{'met' if speed >= target and mem <= 1.0 else 'NOT met'}")
        ratio_lines.append(f"- {codec}{' (both ' + suffix.lstrip('+') + ')' if suffix else ''}: "
                           f"throughput ours/published = {speed:.2f}×, "
                           f"peak RSS ours/published = {mem:.2f}× "
                           f"(writer's own share {own_o:.0f} vs {own_p:.0f} MiB){verdict}")
    if ratio_lines:
        out += ["", "Ours / published:", *ratio_lines]
    out += issue9_lines(summaries, bounds, args)
    out += thread_scaling_lines(summaries, bounds, args)
    direct_lines = []
    for impl in DIRECT_IMPLS:
        for codec in args.codec:
            b, d = summaries.get((impl, codec)), summaries.get((impl + DIRECT_SUFFIX, codec))
            if b and d:
                direct_lines.append(
                    f"- {impl} {codec}: throughput direct/buffered = {d['gbps'] / b['gbps']:.2f}× "
                    f"({d['gbps']:.2f} vs {b['gbps']:.2f} GB/s), CPU {d['cpu_s']:.2f} vs "
                    f"{b['cpu_s']:.2f} s, page cache +{d['cache_mib']:.0f} vs +{b['cache_mib']:.0f} MiB")
    if direct_lines:
        out += ["", "ZARR_DIRECT_IO=1 / buffered:", *direct_lines]
    for case in args.codec:
        if case in PYRAMIDS:
            out += ["", *pyramid_lines(case, summaries)]
    s3_lines = []
    for codec in args.codec:
        for impl in args.impl:
            runs = results.get((impl, codec)) if is_s3(codec) else None
            if runs:
                wall = statistics.median(r["wall_s"] for r in runs)
                cpu = statistics.median(r["moto_cpu_s"] for r in runs)
                s3_lines.append(
                    f"- {impl} {codec}: moto CPU {cpu:.2f} s per stream ({cpu / wall:.0%} of the "
                    f"stream's {wall:.2f} s), moto RSS after emptying "
                    f"{runs[0]['moto_rss_emptied_bytes'] / MIB:.0f} → "
                    f"{runs[-1]['moto_rss_emptied_bytes'] / MIB:.0f} MiB (first → last run)")
    if s3_lines:
        out += ["", "The S3 server (moto_server, medians):", *s3_lines]
    if notes:
        out += ["", *[f"Note: {n}" for n in notes]]
    return "\n".join(out)


def issue9_lines(summaries: dict, bounds: dict, args) -> list[str]:
    """Issue 9's throughput targets per codec (ours vs the published wheel at the same
    settings; the compressed codecs also against Blosc alone on the same threads)."""
    lines = []
    for codec in args.codec:
        if codec not in ISSUE9_SPEEDUP:
            continue
        o, p = summaries.get(("ours", codec)), summaries.get(("published", codec))
        parts, ok = [], True
        if o and p:
            speed = o["gbps"] / p["gbps"]
            ok &= speed >= ISSUE9_SPEEDUP[codec]
            parts.append(f"{speed:.2f}× published (target ≥{ISSUE9_SPEEDUP[codec]:g}×)")
        key = bound_key("ours", codec, args)
        if o and key in bounds:
            share = o["gbps"] / bounds[key][0]
            if codec in ISSUE9_BOUND_SHARE:
                ok &= share >= ISSUE9_BOUND_SHARE[codec]
                parts.append(f"{share:.0%} of Blosc alone "
                             f"(target ≥{ISSUE9_BOUND_SHARE[codec]:.0%})")
                if key + "-cpu" in bounds:  # less sensitive to the machine's other load
                    parts.append(f"CPU {o['cpu_s']:.2f} s vs Blosc alone's "
                                 f"{bounds[key + '-cpu'][0]:.2f} s")
                stream = "stream-" + key[len("blosc-"):]
                if stream in bounds:  # what this machine allows any writer (the target's
                    # 90% of Blosc alone may be above it: then no writer meets it here)
                    b = bounds[stream][0]
                    parts.append(f"{o['gbps'] / b:.0%} of the stream bound {b:.2f} GB/s "
                                 f"(= {b / bounds[key][0]:.0%} of Blosc alone)")
            else:
                parts.append(f"{share:.0%} of min(memcpy, write)")
        if parts:
            lines.append(f"- {codec}: " + ", ".join(parts) + f" — {'met' if ok else 'NOT met'}")
    return ["", "Issue 9 targets (same run):", *lines] if lines else []


def thread_scaling_lines(summaries: dict, bounds: dict, args) -> list[str]:
    """With several thread counts: one row per codec x max_threads."""
    counts = sorted({threads_of(i, 0) for i in args.impl if THREADS_SEP in i})
    if len(counts) < 2:
        return []
    lines = ["", "Thread scaling (max_threads; medians):", "",
             "| codec | max_threads | ours GB/s | ours CPU s | ours × 1 thread | published GB/s "
             "| published CPU s | ours × published | bound GB/s | ours % of bound |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for codec in args.codec:
        base = summaries.get((f"ours{THREADS_SEP}{counts[0]}", codec))
        for t in counts:
            o = summaries.get((f"ours{THREADS_SEP}{t}", codec))
            p = summaries.get((f"published{THREADS_SEP}{t}", codec))
            if not (o or p):
                continue
            key = bound_key(f"ours{THREADS_SEP}{t}", codec, args)
            b = bounds.get(key, (None,))[0]
            cell = lambda x, f: f.format(x) if x is not None else "—"  # noqa: E731
            lines.append(
                f"| {codec} | {t} | {cell(o and o['gbps'], '{:.2f}')} | {cell(o and o['cpu_s'], '{:.2f}')} "
                f"| {cell(o and base and o['gbps'] / base['gbps'], '{:.2f}×')} "
                f"| {cell(p and p['gbps'], '{:.2f}')} | {cell(p and p['cpu_s'], '{:.2f}')} "
                f"| {cell(o and p and o['gbps'] / p['gbps'], '{:.2f}×')} | {cell(b, '{:.2f}')} "
                f"| {cell(o and b and 100 * o['gbps'] / b, '{:.0f}%')} |")
    return lines


def checkout_state() -> str:
    """`git log -1 --format=%h` of the checkout, and whether src/ or python/ have
    uncommitted changes (the engine may be rebuilt from them while a benchmark runs)."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h"],
                                capture_output=True, text=True).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src",
                                "python"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
    return commit + (" (src/ or python/ modified)" if dirty else "")


def skip_reason(impl: str, case: str) -> str | None:
    """Why a case is not run (its row says so), or None."""
    if base_impl(impl) == "tensorstore" and case in PYRAMIDS:
        return "TensorStore has no streaming pyramid"
    if is_s3(case) and base_impl(impl) == "tensorstore":
        return "the S3 workload compares the acquire-zarr writers only"
    if is_s3(case) and is_direct(impl):
        return "ZARR_DIRECT_IO is about files, not S3"
    return None


def runs_case(impl: str, case: str) -> bool:
    return skip_reason(impl, case) is None


def pyramid_lines(case: str, summaries: dict) -> list[str]:
    """The pyramid's two acceptance ratios (both on medians over the runs): throughput
    against the published wheel's same pyramid, and wall time against our plain stream."""
    plain = compression_of(case)
    method = PYRAMIDS[case][1]
    lines = [f"Pyramid {case} ({plain} + {method} pyramid; GB/s = level-0 bytes ÷ time for both; "
             f"targets ≥{PYRAMID_TARGET_SPEEDUP:g}× published's throughput, "
             f"≤{PYRAMID_TARGET_COST:g}× ours-{plain} time):"]
    o, p = summaries.get(("ours", case)), summaries.get(("published", case))
    o_plain, p_plain = summaries.get(("ours", plain)), summaries.get(("published", plain))

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if o and p:
        speed = o["gbps"] / p["gbps"]
        lines.append(f"- throughput ours/published = {speed:.2f}× ({o['gbps']:.2f} vs {p['gbps']:.2f} GB/s)"
                     f" — target ≥{PYRAMID_TARGET_SPEEDUP:g}×: {met(speed >= PYRAMID_TARGET_SPEEDUP)}")
    else:
        lines.append("- throughput ours/published: needs --impl ours,published")
    if o and o_plain:
        cost = o["wall_s"] / o_plain["wall_s"]
        cpu = o["cpu_s"] / o_plain["cpu_s"]
        lines.append(f"- time ours {case} / ours {plain} = {cost:.2f}× ({o['wall_s']:.2f} vs "
                     f"{o_plain['wall_s']:.2f} s; CPU {cpu:.2f}×, {o['cpu_s']:.2f} vs {o_plain['cpu_s']:.2f} s)"
                     f" — target ≤{PYRAMID_TARGET_COST:g}×: {met(cost <= PYRAMID_TARGET_COST)}")
    else:
        lines.append(f"- time ours {case} / ours {plain}: needs --impl ours and --codec {plain},{case}")
    if p and p_plain:
        lines.append(f"- for comparison, time published {case} / published {plain} = "
                     f"{p['wall_s'] / p_plain['wall_s']:.2f}× (CPU {p['cpu_s'] / p_plain['cpu_s']:.2f}×)")
    for impl, s in (("ours", o), ("published", p)):
        if s and s["levels"]:
            dims = ", ".join(f"{shape[1]}×{shape[2]}" for shape in s["levels"])
            lines.append(f"- {impl} wrote {len(s['levels'])} levels ({dims}); level 1 vs 2×2 means "
                         f"of level 0: max |diff| {s['level1_max_abs_diff']:.2f}")
    return lines


def parse_list(value: str, allowed) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="repetitions of every case (default 5)")
    ap.add_argument("--frames", type=int, default=None,
                    help=f"frames per stream (default 256; {S3_DEFAULT_FRAMES} with --s3)")
    ap.add_argument("--impl", type=lambda v: parse_list(v, IMPLS), default=None,
                    help="comma list of ours,published,tensorstore (default all three; "
                         "ours,published with --s3)")
    ap.add_argument("--codec", type=lambda v: parse_list(v, CASES), default=None,
                    help="comma list of none,lz4,zstd,lz4-mean,s3-none,s3-lz4,s3-zstd (lz4-mean: "
                         "lz4 plus a MEAN pyramid, not run for tensorstore; s3-*: needs --s3); "
                         "default the first four, or s3-none,s3-lz4 with --s3")
    ap.add_argument("--s3", action="store_true",
                    help="start a local moto_server (from .venv/bin, signature checking on) and "
                         "run the s3-* cases against it: the same stream written to a bucket; "
                         "ours and published only")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--json", type=Path, help="write every raw run (incl. latencies) here")
    ap.add_argument("--max-threads", default="0",
                    help="StreamSettings.max_threads for acquire-zarr (0 = library default); a "
                         "comma list (1,2) runs every acquire-zarr case once per value, as "
                         f"'<impl>{THREADS_SEP}N', with a thread-scaling table")
    ap.add_argument("--thread-scaling", action="store_true",
                    help="= --max-threads 1,2,...,<CPUs of this machine>")
    ap.add_argument("--bounds", choices=("on", "off"), default="on",
                    help="measure the bounds (memcpy, sequential write to the target, Blosc "
                         "alone with each codec and thread count) in every round, in a child of "
                         "their own, and give each case's share of its bound (default on; off "
                         "with --s3)")
    ap.add_argument("--ts-mode", choices=("layer", "txn", "txn-async"), default="layer",
                    help="how TensorStore is fed (see run_tensorstore); default layer")
    ap.add_argument("--seed", type=int, default=0, help="seed for the case order")
    ap.add_argument("--target", type=Path, default=DEFAULT_TARGET,
                    help="directory to write the stores in (default /dev/shm, tmpfs: the writer "
                         "is measured, not a disk); a sub-directory is made and removed")
    ap.add_argument("--direct-io", choices=("off", "on", "both"), default="off",
                    help="run ours and published with ZARR_DIRECT_IO=1 (cases named "
                         f"'<impl>{DIRECT_SUFFIX}'): on = only so, both = with and without; "
                         "default off (the variable is removed from the children's environment)")
    ap.add_argument("--warm-gib", type=float, default=6.0,
                    help="before each case, touch and free this many GiB so every case starts "
                         "with warm memory (default 6; 0 = off; see warm_memory)")
    ap.add_argument("--shard-t", type=int, default=0,
                    help="chunks per shard along t (default 1: one layer per shard; more "
                         "measures shards that grow layer by layer, each layer's index appended)")
    ap.add_argument("--shard-yx", type=int, default=0,
                    help="chunks per shard along y and x (default 8: one shard holds a whole "
                         "64-frame layer; 1 = every chunk an object/file of its own)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--bounds-child", help=argparse.SUPPRESS)
    ap.add_argument("--verify", help=argparse.SUPPRESS)
    ap.add_argument("--make-frames", help=argparse.SUPPRESS)
    args = ap.parse_args()

    global SHARD_CHUNKS
    if args.shard_t > 0:
        os.environ["AQZ_BENCH_SHARD_T"] = str(args.shard_t)
        SHARD_CHUNKS = (args.shard_t, *SHARD_CHUNKS[1:])
    if args.shard_yx > 0:
        if FRAME_SHAPE[0] // CHUNK_SHAPE[1] < args.shard_yx:
            ap.error(f"--shard-yx: at most {FRAME_SHAPE[0] // CHUNK_SHAPE[1]} chunks fit a frame")
        os.environ["AQZ_BENCH_SHARD_YX"] = str(args.shard_yx)
        SHARD_CHUNKS = (SHARD_CHUNKS[0], args.shard_yx, args.shard_yx)
    set_target(args.target)
    if args.child:
        return child_main(json.loads(args.child))
    if args.bounds_child:
        return bounds_main(json.loads(args.bounds_child))
    if args.verify:
        return verify_main(json.loads(args.verify))
    if args.make_frames:
        make_frames(Path(args.make_frames), DISTINCT_FRAMES, FRAME_SEED)
        print(RESULT_MARKER + "{}")
        return

    if args.frames is None:
        args.frames = S3_DEFAULT_FRAMES if args.s3 else 256
    if args.impl is None:
        args.impl = ["ours", "published"] if args.s3 else list(IMPLS)
    if args.codec is None:
        args.codec = list(S3_DEFAULT_CASES) if args.s3 else [c for c in CASES if not is_s3(c)]
    if not args.s3 and any(is_s3(c) for c in args.codec):
        ap.error("the s3-* cases need --s3 (which starts the local S3 server)")
    if args.s3:
        if not in_project_venv():  # the server and boto3 are the project venv's
            if not OURS_PYTHON.exists():
                sys.exit(f"--s3: {OURS_PYTHON} not found")
            log(f"--s3: re-running under {OURS_PYTHON} (its moto_server and boto3)")
            os.execv(str(OURS_PYTHON),
                     [str(OURS_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
        if not (OURS_PYTHON.parent / "moto_server").exists():
            sys.exit(f"--s3: {OURS_PYTHON.parent / 'moto_server'} not found "
                     "(`make venv` installs moto[server])")

    if not OURS_PYTHON.exists():
        sys.exit(f"{OURS_PYTHON} not found: the project venv runs TensorStore, ours and the verifier")
    notes = []
    if "published" in args.impl:
        ensure_published_venv()
    impls = []
    for impl in args.impl:
        ok, where = impl_available(impl)
        if ok:
            log(f"{impl}: {where}")
            impls.append(impl)
        else:
            log(f"{impl}: not importable, skipped ({where})")
            notes.append(f"{impl} skipped: not importable ({where})")
    if args.direct_io != "off":
        variants = []
        for impl in impls:
            if impl in DIRECT_IMPLS:
                variants += ([impl] if args.direct_io == "both" else []) + [impl + DIRECT_SUFFIX]
            else:
                variants.append(impl)
                notes.append(f"{impl} has no direct I/O switch: written buffered")
        impls = variants
    try:
        thread_counts = [int(v) for v in args.max_threads.split(",") if v.strip()]
    except ValueError:
        ap.error(f"--max-threads: {args.max_threads!r} is not a comma list of whole numbers")
    if args.thread_scaling:
        thread_counts = list(range(1, (os.cpu_count() or 1) + 1))
    if len(thread_counts) > 1:
        args.max_threads = 0
        variants = []
        for impl in impls:
            if base_impl(impl) == "tensorstore":
                variants.append(impl)  # its own thread pool; no max_threads setting
            else:
                variants += [f"{impl}{THREADS_SEP}{t}" for t in thread_counts]
        impls = variants
    else:
        args.max_threads = thread_counts[0] if thread_counts else 0
    args.impl = impls
    if args.s3:
        args.bounds = "off"  # the bound there is the server; see the S3 section

    shutil.rmtree(BENCH_ROOT, ignore_errors=True)
    STORE_DIR.mkdir(parents=True)
    try:
        if args.s3:
            check_s3_memory(args.frames)
            start_s3_server()
            args.s3_moto = S3_SERVER["moto"]
            log(f"s3: moto_server {S3_SERVER['moto']} at {S3_SERVER['endpoint']}, bucket "
                f"{S3_SERVER['bucket']}, objects spilled to {S3_SERVER['tmp']}")
        run_python(OURS_PYTHON, ["--make-frames", str(FRAMES_FILE)])
        cases = [(i, c) for i in args.impl for c in args.codec if runs_case(i, c)]
        if args.bounds == "on":
            cases.append((BOUNDS, "-"))  # shuffled in with the cases, every round
        if "tensorstore" in args.impl and any(c in PYRAMIDS for c in args.codec):
            log("tensorstore: pyramid cases skipped (TensorStore has no streaming pyramid)")
        results: dict = {}
        failures: dict = {}
        failure_counts: dict = {}  # runs that failed, per case
        raw = []
        rng = random.Random(args.seed)
        load_before = os.getloadavg()
        commit_before = checkout_state()
        for run in range(args.runs):
            order = cases[:]
            rng.shuffle(order)  # a fresh order every round, so drift hits everyone alike
            for impl, codec in order:
                load1 = os.getloadavg()[0]
                if impl == BOUNDS:
                    try:
                        b = run_bounds(args)
                    except Exception as e:
                        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
                        failures[(impl, codec)] = (lines[-1] if lines else repr(e))[:200]
                        log(f"[run {run + 1}/{args.runs}] bounds FAILED: {failures[(impl, codec)]}")
                        continue
                    b["load1"] = load1
                    results.setdefault((impl, codec), []).append(b)
                    raw.append({"run": run, "impl": impl, "codec": codec, **b})
                    log(f"[run {run + 1}/{args.runs}] bounds      " + "  ".join(
                        f"{k} {v:.2f}" for k, v in b.items()
                        if isinstance(v, float) and not k.endswith("-ratio") and k != "load1")
                        + f"  (load {load1:.2f})")
                    continue
                try:
                    r = run_case(impl, codec, args, run,
                                 full_check=(impl, codec) not in results)
                    r["load1"] = load1
                except Exception as e:
                    # the child's last words (its exception), not the command line
                    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
                    failures[(impl, codec)] = (lines[-1] if lines else repr(e))[:200]
                    failure_counts[(impl, codec)] = failure_counts.get((impl, codec), 0) + 1
                    log(f"[run {run + 1}/{args.runs}] {impl:11s} {codec:8s} FAILED: "
                        f"{failures[(impl, codec)]}")
                    continue
                results.setdefault((impl, codec), []).append(r)
                raw.append({"run": run, "impl": impl, "codec": codec, **r})
                lat = r["latencies_ns"]
                log(f"[run {run + 1}/{args.runs}] {impl:11s} {codec:8s} "
                    f"{r['bytes_appended'] / r['wall_s'] / 1e9:6.2f} GB/s  "
                    f"p50 {percentile(lat, 50) / 1e6:7.2f} ms  p99 {percentile(lat, 99) / 1e6:8.1f} ms  "
                    f"cpu {r['cpu_s']:5.2f} s  peak {r['peak_rss_bytes'] / MIB:6.0f} MiB  "
                    f"{'ok' if r['verified'] else 'VERIFY FAILED ' + str(r['problems'])}"
                    + (f"  ({r['frames_compared']} frames compared)" if "frames_compared" in r else "")
                    + (f"  moto RSS {r['moto_rss_bytes'] / MIB:.0f} MiB, "
                       f"{r['moto_rss_emptied_bytes'] / MIB:.0f} emptied" if is_s3(codec) else ""))
        load_after = os.getloadavg()
    finally:
        stop_s3_server()
        shutil.rmtree(BENCH_ROOT, ignore_errors=True)
        try:
            BENCH_ROOT.parent.rmdir()  # only if no other invocation is using it
        except OSError:
            pass

    published_s3_failed = sorted(c for i, c in failures
                                 if is_s3(c) and base_impl(i) == "published")
    if published_s3_failed and SHARD_CHUNKS[1:] != (1, 1):
        notes.append(f"published {', '.join(published_s3_failed)} failed: acquire-zarr 0.10.0 "
                     "cannot stream a shard of more than one chunk to S3 — its worker threads "
                     "write the chunks of one shard into the same S3Sink at once (heap "
                     "corruption: SIGSEGV, SIGBUS or SIGABRT 'munmap_chunk(): invalid pointer' in "
                     "zarr::S3Sink::write; with smaller shards 'Cannot write data at offset …, "
                     "already flushed to …' and close() fails); a run may get through. Not a moto "
                     "limitation; "
                     "--shard-yx 1 (one chunk per object) is a layout it can write "
                     "(see benchmarks/README.md)")
    if args.s3:
        notes.append(f"moto_server {args.s3_moto}; ZARR_S3_PART_SIZE "
                     f"{os.environ.get('ZARR_S3_PART_SIZE', 'unset (5 MiB)')}")
    versions = sorted({f"{base_impl(x['impl'])} {x['version']}" for x in raw if "version" in x})
    loads = sorted(x["load1"] for x in raw if "load1" in x)
    commit_after = checkout_state()
    commit = (commit_before if commit_before == commit_after
              else f"{commit_before} at the start, {commit_after} at the end")
    notes.append(f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
                 f"{load_after[0]:.2f} after"
                 + (f", {loads[0]:.2f}–{statistics.median(loads):.2f}–{loads[-1]:.2f} "
                    "(min–median–max) at the start of the cases" if loads else "")
                 + f"; checkout {commit}; "
                 + ", ".join(versions)
                 + (f"; TensorStore fed in mode '{args.ts_mode}'" if "tensorstore" in args.impl else ""))
    args.failure_counts = failure_counts
    table = render(results, failures, args, notes)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(raw))


if __name__ == "__main__":
    main()
