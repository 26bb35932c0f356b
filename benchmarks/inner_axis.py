"""The large-inner-axis workload of issue 9: a `t, z, y, x` stream with `t` chunk 1 and a
long `z` (chunk 8), as light-sheet microscopes stream it, ours against the published wheel.

With `t` chunk 1 the frames complete one band of 8 planes at a time, so memory should
track one band, not the whole `z` volume. Each case runs in a fresh process (its own peak
RSS); the table gives throughput, peak RSS above the process's baseline,
get_maximum_memory_usage(), and whether every plane read back (zarr-python, spot checks).

    .venv/bin/python benchmarks/inner_axis.py --runs 3            # z 2000, 512x512, LZ4
    .venv/bin/python benchmarks/inner_axis.py --planes 8000 --times 1
    .venv/bin/python benchmarks/inner_axis.py --planes 20000 --times 1 --max-seconds 240

The child samples its RSS (above the baseline) at every tenth of the stream, so the table
shows whether memory stays flat as `z` grows. `--max-seconds S` stops a stream that has not
finished after S seconds of appending (its row says how far it got, and its throughput and
RSS up to there; it is not read back): the published wheel streams this layout at about
0.1 GB/s, so 20,000 planes (10.5 GB) would take it minutes per run.

The published wheel's venv is the one benchmarks/bench.py makes (benchmarks/.venv-published).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _children import MARK, run_child

HERE = Path(__file__).resolve().parent
PYTHONS = {"ours": HERE.parent / ".venv" / "bin" / "python",
           "published": HERE / ".venv-published" / "bin" / "python"}


def child(cfg: dict) -> None:
    """Streams the workload with whichever acquire_zarr this interpreter has."""
    import resource

    import numpy as np
    import acquire_zarr as aqz

    h = w = cfg["frame"]
    names = [("t", aqz.DimensionType.TIME, 0, 1, 1),
             ("z", aqz.DimensionType.SPACE, cfg["planes"], 8, 4),
             ("y", aqz.DimensionType.SPACE, h, 256, 2),
             ("x", aqz.DimensionType.SPACE, w, 256, 2)]
    dims = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=c,
                          shard_size_chunks=sh) for n, k, s, c, sh in names]
    compression = aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                                          codec=aqz.CompressionCodec.BLOSC_LZ4,
                                          level=1, shuffle=1)
    settings = aqz.StreamSettings(
        store_path=cfg["store"], overwrite=True, version=aqz.ZarrVersion.V3,
        arrays=[aqz.ArraySettings(dimensions=dims, data_type=np.uint16,
                                  compression=compression)])
    estimate = int(settings.get_maximum_memory_usage())
    rng = np.random.default_rng(7)
    base = (np.arange(h * w, dtype=np.uint32).reshape(h, w) % 2048).astype(np.uint16)
    frames = [base + rng.integers(0, 64, (h, w), dtype=np.uint16) for _ in range(8)]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    n = cfg["planes"] * cfg["times"]
    sample_every = max(1, n // 10)
    limit = cfg.get("max_seconds") or 0
    page = os.sysconf("SC_PAGE_SIZE")
    samples = []  # (planes appended, RSS above baseline)
    start = time.perf_counter()
    stream = aqz.ZarrStream(settings)
    for i in range(n):
        stream.append(frames[i % len(frames)])
        if (i + 1) % sample_every == 0:
            with open("/proc/self/statm") as f:
                samples.append((i + 1, int(f.read().split()[1]) * page - baseline))
            if limit and time.perf_counter() - start > limit:
                wall = time.perf_counter() - start
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                print(MARK + json.dumps({"wall_s": wall, "bytes": (i + 1) * h * w * 2,
                                         "estimate": estimate, "stopped_at": i + 1,
                                         "peak_above_baseline": peak - baseline,
                                         "rss_samples": samples}), flush=True)
                os._exit(0)  # without draining the writer
    stream.close()
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(MARK + json.dumps({"wall_s": wall, "bytes": n * h * w * 2, "estimate": estimate,
                             "peak_above_baseline": peak - baseline,
                             "rss_samples": samples}), flush=True)


def verify(cfg: dict) -> dict:
    """Shape and a few planes of every time point, read with zarr-python."""
    import numpy as np
    import zarr

    h = w = cfg["frame"]
    rng = np.random.default_rng(7)
    base = (np.arange(h * w, dtype=np.uint32).reshape(h, w) % 2048).astype(np.uint16)
    frames = [base + rng.integers(0, 64, (h, w), dtype=np.uint16) for _ in range(8)]
    arr = zarr.open_array(cfg["store"], mode="r")
    want = (cfg["times"], cfg["planes"], h, w)
    if tuple(arr.shape) != want:
        return {"ok": False, "problem": f"shape {arr.shape} != {want}"}
    for t in range(cfg["times"]):
        for z in (0, 7, 8, cfg["planes"] // 2, cfg["planes"] - 1):
            i = t * cfg["planes"] + z
            if not np.array_equal(arr[t, z], frames[i % len(frames)]):
                return {"ok": False, "problem": f"plane t={t} z={z} differs"}
    return {"ok": True}


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
    ap.add_argument("--planes", type=int, default=2000, help="z size (default 2000)")
    ap.add_argument("--times", type=int, default=2, help="time points (default 2)")
    ap.add_argument("--frame", type=int, default=512, help="frame side (default 512)")
    ap.add_argument("--impl", default="ours,published")
    ap.add_argument("--target", type=Path, default=Path("/dev/shm"))
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop a stream still appending after this long (0 = never)")
    args = ap.parse_args()
    root = args.target / f"aqz-inner-{os.getpid()}"
    results = {}
    root.mkdir(parents=True, exist_ok=True)  # the published wheel wants the parent to exist
    try:
        for run_index in range(args.runs):
            for impl in args.impl.split(","):
                python = PYTHONS[impl]
                if not python.exists():
                    sys.exit(f"{python} not found (benchmarks/bench.py makes the published venv)")
                store = root / f"{impl}.zarr"
                shutil.rmtree(store, ignore_errors=True)
                cfg = {"store": str(store), "planes": args.planes, "times": args.times,
                       "frame": args.frame, "max_seconds": args.max_seconds}
                load1 = os.getloadavg()[0]
                r = run_child(__file__, python, "--child", cfg)
                r["load1"] = load1
                if r.get("stopped_at"):
                    r["verified"] = {"ok": None, "problem": f"stopped after {r['stopped_at']} planes"}
                else:
                    r["verified"] = run_child(__file__, PYTHONS["ours"], "--verify", cfg)
                shutil.rmtree(store, ignore_errors=True)
                results.setdefault(impl, []).append(r)
                print(f"[run {run_index + 1}] {impl:9s} {r['bytes'] / r['wall_s'] / 1e9:5.2f} GB/s "
                      f"peak +{r['peak_above_baseline'] / 2**20:6.0f} MiB, estimate "
                      f"{r['estimate'] / 2**20:6.0f} MiB, verified {r['verified']}, RSS "
                      f"{' '.join(str(round(b / 2**20)) for _, b in r['rss_samples'])} MiB "
                      f"(load {load1:.2f})", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    commit = subprocess.run(["git", "-C", str(HERE.parent), "log", "-1", "--format=%h"],
                            capture_output=True, text=True).stdout.strip()
    loads = sorted(r["load1"] for runs in results.values() for r in runs)
    print(f"\nt (chunk 1) x z {args.planes} (chunk 8) x {args.frame}x{args.frame} uint16, "
          f"{args.times} time points, Blosc-LZ4, chunks 1x8x256x256, shards 1x4x2x2; "
          f"medians of {args.runs}; load average {os.getloadavg()[0]:.2f} at the end"
          + (f", {loads[0]:.2f}–{loads[-1]:.2f} at the cases' starts" if loads else "")
          + f"; checkout {commit}\n")
    print("| impl | GB/s | peak RSS above baseline MiB | RSS above baseline at 10% / 50% / 100% "
          "of the planes MiB | get_maximum_memory_usage() MiB | verified |")
    print("|---|---|---|---|---|---|")
    for impl, runs in results.items():
        med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
        ok = all(r["verified"]["ok"] for r in runs)
        stopped = [r["stopped_at"] for r in runs if r.get("stopped_at")]
        n = args.planes * args.times

        def at(frac):
            vals = [r["rss_samples"][min(len(r["rss_samples"]) - 1,
                                         max(0, round(frac * len(r["rss_samples"])) - 1))][1]
                    for r in runs if r["rss_samples"]]
            return f"{statistics.median(vals) / 2**20:.0f}" if vals else "—"
        ver = ("yes" if ok else "NO") if not stopped else (
            f"stopped after {args.max_seconds:g} s at {min(stopped)}–{max(stopped)} of {n} planes"
            " (not read back)")
        print(f"| {impl} | {statistics.median(r['bytes'] / r['wall_s'] for r in runs) / 1e9:.2f} "
              f"| {med('peak_above_baseline') / 2**20:.0f} | {at(0.1)} / {at(0.5)} / {at(1.0)} "
              f"| {med('estimate') / 2**20:.0f} | {ver} |")


if __name__ == "__main__":
    main()
