"""Many arrays in one stream (issue 9): a multi-position microscope visits 16 positions in
turn and appends one 512x512 uint16 frame to each position's array, round-robin, all 16
arrays in one stream. Ours against the published wheel, each case in a fresh process after
a memory warm-up (as in bench.py), the cases in a shuffled order every round; the table
gives medians of throughput, append latency and peak RSS.

    .venv/bin/python benchmarks/many_arrays.py --runs 3                # none and lz4
    .venv/bin/python benchmarks/many_arrays.py --positions 16 --frames 512 --codec lz4

Layout of every array: t (unbounded, chunk 64, 1 chunk per shard) x y 512 x x 512 (chunk
256, 2 chunks per shard): one shard per array per 64 frames (32 MiB uncompressed).
Stores go to tmpfs (/dev/shm) and are removed after each run; the published wheel's venv is
the one benchmarks/bench.py makes (benchmarks/.venv-published).
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _children import MARK, run_child, warm_memory

HERE = Path(__file__).resolve().parent
PYTHONS = {"ours": HERE.parent / ".venv" / "bin" / "python",
           "published": HERE / ".venv-published" / "bin" / "python"}
SIDE = 512
CHUNK_T, CHUNK_YX, SHARD_YX = 64, 256, 2


def frames_for(n_distinct: int = 8):
    """Camera-like frames: a smooth ramp plus noise (compressible, not trivially)."""
    import numpy as np

    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    base = (200 + 60 * np.sin(xx / 40.0) * np.cos(yy / 55.0)).astype(np.float64)
    return [np.clip(rng.poisson(base * (1 + 0.02 * k)), 0, 65535).astype(np.uint16)
            for k in range(n_distinct)]


def child(cfg: dict) -> None:
    import resource

    import numpy as np
    import acquire_zarr as aqz

    aqz.set_log_level(aqz.LogLevel.ERROR)
    frames = frames_for()
    arrays = []
    for p in range(cfg["positions"]):
        dims = [aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                              chunk_size_px=CHUNK_T, shard_size_chunks=1),
                aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=SIDE,
                              chunk_size_px=CHUNK_YX, shard_size_chunks=SHARD_YX),
                aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=SIDE,
                              chunk_size_px=CHUNK_YX, shard_size_chunks=SHARD_YX)]
        a = aqz.ArraySettings(output_key=f"pos{p}", dimensions=dims, data_type=np.uint16)
        if cfg["codec"] == "lz4":
            a.compression = aqz.CompressionSettings(
                compressor=aqz.Compressor.BLOSC1, codec=aqz.CompressionCodec.BLOSC_LZ4,
                level=1, shuffle=1)
        arrays.append(a)
    settings = aqz.StreamSettings(store_path=cfg["store"], overwrite=True,
                                  version=aqz.ZarrVersion.V3, arrays=arrays)
    try:
        estimate = int(settings.get_maximum_memory_usage())
    except Exception:
        estimate = -1
    keys = [f"pos{p}" for p in range(cfg["positions"])]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    latencies = []
    start = time.perf_counter()
    stream = aqz.ZarrStream(settings)
    k = 0
    for t in range(cfg["frames"]):
        for key in keys:  # one frame to each position in turn
            a = time.perf_counter_ns()
            stream.append(frames[k % len(frames)], key=key)
            latencies.append(time.perf_counter_ns() - a)
            k += 1
    appended = time.perf_counter()
    stream.close()
    end = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    peak = ru1.ru_maxrss * 1024
    try:
        from importlib.metadata import version

        ver = version("acquire-zarr")
    except Exception:
        ver = "?"
    print(MARK + json.dumps({
        "wall_s": end - start, "close_s": end - appended,
        "bytes": k * SIDE * SIDE * 2, "latencies_ns": latencies, "estimate": estimate,
        "baseline": baseline, "peak": peak, "version": ver,
        "cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)}), flush=True)


def verify(cfg: dict) -> dict:
    """Every array: shape, and its first and last frames."""
    import numpy as np
    import zarr

    frames = frames_for()
    n, positions = cfg["frames"], cfg["positions"]
    for p in range(positions):
        arr = zarr.open_array(str(Path(cfg["store"]) / f"pos{p}"), mode="r")
        if tuple(arr.shape) != (n, SIDE, SIDE):
            return {"ok": False, "problem": f"pos{p}: shape {arr.shape}"}
        for t in (0, n - 1):
            if not np.array_equal(arr[t], frames[(t * positions + p) % len(frames)]):
                return {"ok": False, "problem": f"pos{p} frame {t} differs"}
    return {"ok": True}


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("--child", "--verify"):
        cfg = json.loads(sys.argv[2])
        if sys.argv[1] == "--child":
            child(cfg)
        else:
            print(MARK + json.dumps(verify(cfg)), flush=True)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--positions", type=int, default=16)
    ap.add_argument("--frames", type=int, default=256, help="frames per position (default 256)")
    ap.add_argument("--codec", default="none,lz4", help="none, lz4 or both (default)")
    ap.add_argument("--impl", default="ours,published")
    ap.add_argument("--target", type=Path, default=Path("/dev/shm"))
    ap.add_argument("--warm-gib", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    root = args.target / f"aqz-many-{os.getpid()}"
    cases = [(i, c) for c in args.codec.split(",") for i in args.impl.split(",")]
    results, loads = {}, []
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    try:
        for run_index in range(args.runs):
            order = cases[:]
            rng.shuffle(order)
            for impl, codec in order:
                store = root / f"{impl}-{codec}.zarr"
                shutil.rmtree(store, ignore_errors=True)
                warm_memory(args.warm_gib)
                cfg = {"store": str(store), "positions": args.positions, "frames": args.frames,
                       "codec": codec}
                loads.append(os.getloadavg()[0])
                try:
                    r = run_child(__file__, PYTHONS[impl], "--child", cfg)
                    r["verified"] = run_child(__file__, PYTHONS["ours"], "--verify", cfg)
                except RuntimeError as e:
                    print(f"[run {run_index + 1}] {impl} {codec}: FAILED {str(e)[-300:]}",
                          flush=True)
                    continue
                finally:
                    shutil.rmtree(store, ignore_errors=True)
                results.setdefault((impl, codec), []).append(r)
                lat = r["latencies_ns"]
                print(f"[run {run_index + 1}] {impl:9s} {codec:4s} "
                      f"{r['bytes'] / r['wall_s'] / 1e9:5.2f} GB/s  p99 {pct(lat, 99) / 1e6:6.1f} ms"
                      f"  max {max(lat) / 1e6:6.1f} ms  peak +{(r['peak'] - r['baseline']) / 2**20:5.0f}"
                      f" MiB  (load {loads[-1]:.2f})  {r['verified']}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()
    commit = subprocess.run(["git", "-C", str(HERE.parent), "log", "-1", "--format=%h"],
                            capture_output=True, text=True).stdout.strip()
    loads.sort()
    print(f"\n{args.positions} arrays of t x {SIDE}x{SIDE} uint16 in one stream, {args.frames} "
          f"frames each appended round-robin (one to each array in turn, "
          f"{args.positions * args.frames} appends, "
          f"{args.positions * args.frames * SIDE * SIDE * 2 / 1e9:.2f} GB), chunks "
          f"{CHUNK_T}x{CHUNK_YX}x{CHUNK_YX}, shards 1x{SHARD_YX}x{SHARD_YX}, tmpfs; medians of "
          f"{args.runs}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
          + (f", {loads[0]:.2f}–{loads[len(loads) // 2]:.2f}–{loads[-1]:.2f} at the cases' "
             "starts" if loads else "") + f"; checkout {commit}\n")
    print("| impl | codec | GB/s median (min–max) | × published | append p50 ms | p99 ms | max ms "
          "| close ms | CPU s | peak RSS above baseline MiB | get_maximum_memory_usage() MiB "
          "| verified |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    med = {}
    for impl, codec in cases:
        runs = results.get((impl, codec))
        if runs:
            med[(impl, codec)] = statistics.median(r["bytes"] / r["wall_s"] / 1e9 for r in runs)
    for impl, codec in cases:
        runs = results.get((impl, codec))
        if not runs:
            print(f"| {impl} | {codec} | FAILED | | | | | | | | | |")
            continue
        gbps = [r["bytes"] / r["wall_s"] / 1e9 for r in runs]
        m = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
        p = med.get(("published", codec))
        ok = all(r["verified"]["ok"] for r in runs)
        print(f"| {impl} | {codec} | {med[(impl, codec)]:.2f} ({min(gbps):.2f}–{max(gbps):.2f}) "
              f"| {med[(impl, codec)] / p:.2f}× " if p else "| — ", end="")
        print(f"| {m(lambda r: pct(r['latencies_ns'], 50)) / 1e6:.2f} "
              f"| {m(lambda r: pct(r['latencies_ns'], 99)) / 1e6:.1f} "
              f"| {m(lambda r: max(r['latencies_ns'])) / 1e6:.1f} | {m(lambda r: r['close_s']) * 1e3:.0f} "
              f"| {m(lambda r: r['cpu_s']):.2f} | {m(lambda r: r['peak'] - r['baseline']) / 2**20:.0f} "
              f"| {m(lambda r: r['estimate']) / 2**20:.0f} | {'yes' if ok else 'NO'} |")
    print("\nVersions: " + ", ".join(sorted({f"{i} {r['version']}" for (i, _), rs in results.items()
                                             for r in rs})))


if __name__ == "__main__":
    main()
