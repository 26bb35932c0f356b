"""A paced camera (issue 9): frames arrive at a fixed rate, and a camera with a ring of K
frame buffers loses frame i if the writer has not started taking it by the time frame
i + K arrives. Streams 2048x2048 uint16 frames at each rate asked for, ours or the
published wheel, each run in a fresh process, and reports append latency (p50/p99/max),
the most frames the writer fell behind schedule, and frames lost with rings of 4, 16 and
64 buffers.

    .venv/bin/python benchmarks/paced.py --rates 50,70,100 --frames 1000 --codec lz4
    .venv/bin/python benchmarks/paced.py --impl published --rates 30,50
    .venv/bin/python benchmarks/paced.py --find-max --impl ours,published --codec none,lz4

`--find-max` searches, for each implementation and codec, the highest rate at which a
16-frame ring loses nothing over `--frames` (1000) frames: a bisection over rates (geometric
midpoints between the highest rate that passed and the lowest that failed, from `--start`
fps within [0, `--hi`], until they are within `--tolerance` or after `--trials` trials). A
trial stops as soon as a frame is lost (the rate failed; the rest is not streamed). The
searches of all implementation x codec pairs advance in lockstep, one trial each per
round in a shuffled order, so load on the machine hits them alike.

Stores go to tmpfs (/dev/shm) and are removed after each run; the published wheel's venv
is the one benchmarks/bench.py makes (benchmarks/.venv-published).
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _children import MARK, result_of

HERE = Path(__file__).resolve().parent
PYTHONS = {"ours": HERE.parent / ".venv" / "bin" / "python",
           "published": HERE / ".venv-published" / "bin" / "python"}
RINGS = (4, 16, 64)


def child(cfg: dict) -> None:
    """Streams cfg["frames"] frames at cfg["rate"] per second and prints what it saw."""
    import numpy as np
    import acquire_zarr as aqz

    h, w = cfg["frame"]
    dims = [aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                          chunk_size_px=64, shard_size_chunks=1),
            aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=h,
                          chunk_size_px=256, shard_size_chunks=8),
            aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=w,
                          chunk_size_px=256, shard_size_chunks=8)]
    array = aqz.ArraySettings(dimensions=dims, data_type=np.uint16)
    if cfg["codec"] == "lz4":
        array.compression = aqz.CompressionSettings(
            compressor=aqz.Compressor.BLOSC1, codec=aqz.CompressionCodec.BLOSC_LZ4,
            level=1, shuffle=1)
    settings = aqz.StreamSettings(store_path=cfg["store"], overwrite=True,
                                  version=aqz.ZarrVersion.V3, arrays=[array])
    rng = np.random.default_rng(1)
    ramp = (np.arange(h * w, dtype=np.uint32).reshape(h, w) % 1024).astype(np.uint16)
    frames = [ramp + rng.integers(0, 256, (h, w), dtype=np.uint16) for _ in range(8)]
    stream = aqz.ZarrStream(settings)
    period = 1.0 / cfg["rate"]
    abort_ring = cfg.get("abort_ring")  # --find-max: stop at the first frame that ring loses
    latencies, lateness = [], []  # seconds; frames behind schedule when taken
    t0 = time.perf_counter() + 0.2
    for i in range(cfg["frames"]):
        due = t0 + i * period  # when the camera delivers frame i
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        start = time.perf_counter()
        lateness.append((start - due) / period)
        if abort_ring and lateness[-1] >= abort_ring:
            # the rate failed: report it and leave without draining the writer
            print(MARK + json.dumps({"latencies": latencies, "lateness": lateness,
                                     "close_s": 0.0, "aborted_at": i}), flush=True)
            os._exit(0)
        stream.append(frames[i % len(frames)])
        latencies.append(time.perf_counter() - start)
    close_start = time.perf_counter()
    stream.close()
    close_s = time.perf_counter() - close_start
    print(MARK + json.dumps({"latencies": latencies, "lateness": lateness,
                             "close_s": close_s}), flush=True)


def summarize(r: dict, rate: float) -> dict:
    lat = sorted(r["latencies"]) or [0.0]
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    # Frame i is lost with a ring of K if taking it started K or more frame periods late.
    lost = {k: sum(1 for x in r["lateness"] if x >= k) for k in RINGS}
    return {"p50_ms": pick(0.5) * 1e3, "p99_ms": pick(0.99) * 1e3, "max_ms": lat[-1] * 1e3,
            "over_period": sum(1 for x in lat if x > 1.0 / rate),
            "max_behind": max(r["lateness"]), "lost": lost, "close_ms": r["close_s"] * 1e3}


def mem_available() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def frames_that_fit(frames: int, codec: str, margin_gib: float) -> int:
    """A store on tmpfs is memory: at most as many frames as leave `margin_gib` GiB of
    the machine's available memory (the writer's and other processes' memory) once the
    store is written (uncompressed 8 MiB a frame; with LZ4 assumed to shrink 1.5x)."""
    per_frame = 2048 * 2048 * 2 / (1.5 if codec == "lz4" else 1.0)
    room = mem_available() - margin_gib * 2**30
    return max(0, min(frames, int(room // per_frame)))


def trial(impl: str, rate: float, codec: str, frames: int, root: Path,
          abort_ring: int | None = None, margin_gib: float = 0) -> dict | None:
    """One paced stream in a fresh process; its summary, or None if it failed."""
    asked = frames
    if margin_gib and "shm" in str(root):
        frames = frames_that_fit(frames, codec, margin_gib)
        if frames < asked:
            print(f"{impl} {codec} {rate:g}: only {frames} of {asked} frames fit in memory "
                  f"with {margin_gib:g} GiB to spare", flush=True)
    cfg = {"store": str(root / f"{impl}-{codec}.zarr"), "rate": rate, "frames": frames,
           "codec": codec, "frame": (2048, 2048), "abort_ring": abort_ring}
    load1 = os.getloadavg()[0]
    try:
        proc = subprocess.run([str(PYTHONS[impl]), __file__, "--child", json.dumps(cfg)],
                              capture_output=True, text=True, timeout=3600)
    finally:
        shutil.rmtree(root / f"{impl}-{codec}.zarr", ignore_errors=True)
    result = result_of(proc.stdout)
    if result is None:
        print(f"{impl} {codec} {rate:g}: failed: {proc.stderr[-800:]}", flush=True)
        return None
    s = summarize(result, rate)
    s["aborted_at"] = result.get("aborted_at")
    s["load1"] = load1
    s["frames"] = frames
    return s


def find_max(args, root: Path) -> None:
    """--find-max: the highest rate with nothing lost by a 16-frame ring (see the module
    docstring), every implementation x codec, searched in lockstep."""
    ring = 16
    pairs = [(impl, codec) for codec in args.codec.split(",") for impl in args.impl.split(",")]
    state = {p: {"lo": 0.0, "hi": args.hi, "next": args.start, "trials": []} for p in pairs}
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    for round_index in range(args.trials):
        active = [p for p in pairs if state[p]["next"] is not None]
        if not active:
            break
        rng.shuffle(active)
        for impl, codec in active:
            st = state[(impl, codec)]
            rate = st["next"]
            s = trial(impl, rate, codec, args.frames, root, abort_ring=ring,
                      margin_gib=args.margin_gib)
            if s is None:  # the writer failed: neither a pass nor a fail; tried again
                print(f"[round {round_index + 1}] {impl:9s} {codec:4s} {rate:6.1f} fps: "
                      "run failed, not counted", flush=True)
                continue
            ok = s["aborted_at"] is None and s["lost"][ring] == 0
            st["trials"].append((rate, ok, s))
            if ok:
                st["lo"] = max(st["lo"], rate)
            else:
                st["hi"] = min(st["hi"], rate)
            if s is None:
                note = "run failed"
            elif s["aborted_at"] is not None:
                note = f"frame {s['aborted_at']} lost (ring {ring}), stopped"
            else:
                note = (f"p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f}, max {s['max_ms']:.1f}, "
                        f"behind {s['max_behind']:.1f}, lost {s['lost']}"
                        + (f", only {s['frames']} frames (memory)" if s["frames"] < args.frames
                           else ""))
            print(f"[round {round_index + 1}] {impl:9s} {codec:4s} {rate:6.1f} fps: "
                  f"{'pass' if ok else 'FAIL'}  {note}  (load {s['load1'] if s else 0:.2f})",
                  flush=True)
            lo, hi = st["lo"], st["hi"]
            if lo > 0 and (hi - lo) / hi <= args.tolerance:
                st["next"] = None
            elif lo == 0:
                st["next"] = hi / 2
            elif hi >= args.hi and not any(not t[1] for t in st["trials"]):
                st["next"] = min(args.hi, lo * 2)  # no failure yet: double
                if st["next"] == lo:
                    st["next"] = None
            else:
                st["next"] = math.sqrt(lo * hi)
    load_after = os.getloadavg()
    loads = sorted(t[2]["load1"] for p in pairs for t in state[p]["trials"] if t[2])
    print(f"\nHighest rate with zero frames lost by a {ring}-frame ring over {args.frames} "
          f"frames of 2048x2048 uint16 (chunks 64x256x256, shards 1x8x8, tmpfs), bisection "
          f"from {args.start:g} fps within [0, {args.hi:g}], to {args.tolerance:.0%}; load "
          f"average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
          + (f", {loads[0]:.2f}–{loads[len(loads) // 2]:.2f}–{loads[-1]:.2f} (min–median–max) "
             "at the trials' starts" if loads else "") + "\n")
    print("| impl | codec | sustained fps (0 lost, ring 16) | GB/s | lowest failing fps "
          "| at the sustained rate: append p50 / p99 / max ms, most frames behind | trials |")
    print("|---|---|---|---|---|---|---|")
    best = {}
    for impl, codec in pairs:
        st = state[(impl, codec)]
        lo, hi = st["lo"], st["hi"]
        best[(impl, codec)] = lo
        at = next((t[2] for t in st["trials"] if t[0] == lo and t[1]), None)
        detail = (f"{at['p50_ms']:.1f} / {at['p99_ms']:.1f} / {at['max_ms']:.1f}, "
                  f"{at['max_behind']:.1f}" if at else "—")
        if at and at["frames"] < args.frames:
            detail += f" (over {at['frames']} frames: memory)"
        trials = ", ".join(f"{r:.0f}{'✓' if ok else '✗'}" for r, ok, _ in st["trials"])
        print(f"| {impl} | {codec} | {lo:.0f} | {lo * 2048 * 2048 * 2 / 1e9:.2f} "
              f"| {hi:.0f}{'' if hi < args.hi else ' (none failed)'} | {detail} | {trials} |")
    for codec in args.codec.split(","):
        o, p = best.get(("ours", codec)), best.get(("published", codec))
        if o is not None and p:
            ratio = o / p
            print(f"- {codec}: ours/published = {ratio:.2f}× — target ≥1.5×: "
                  f"{'met' if ratio >= 1.5 else 'NOT met'}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        return child(json.loads(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", default="50,70,100", help="frames per second, comma list")
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--codec", default="lz4", help="none, lz4 or none,lz4 (--find-max)")
    ap.add_argument("--impl", default="ours", help="ours,published")
    ap.add_argument("--target", type=Path, default=Path("/dev/shm"))
    ap.add_argument("--find-max", action="store_true",
                    help="search the highest rate with zero frames lost by a 16-frame ring")
    ap.add_argument("--start", type=float, default=60.0, help="--find-max: first rate (fps)")
    ap.add_argument("--hi", type=float, default=400.0,
                    help="--find-max: upper end of the search (fps)")
    ap.add_argument("--tolerance", type=float, default=0.08,
                    help="--find-max: stop when the failing and passing rates are this close")
    ap.add_argument("--trials", type=int, default=7, help="--find-max: at most this many trials")
    ap.add_argument("--seed", type=int, default=0, help="--find-max: seed of the trial order")
    ap.add_argument("--margin-gib", type=float, default=2.5,
                    help="--find-max on /dev/shm: stream fewer frames (and count the trial as "
                         "failed) rather than leave less than this much memory available")
    args = ap.parse_args()
    root = args.target / f"aqz-paced-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)  # the published wheel wants the parent to exist
    if args.find_max:
        try:
            find_max(args, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    rows = []
    try:
        for impl in args.impl.split(","):
            for rate in [float(x) for x in args.rates.split(",")]:
                cfg = {"store": str(root / f"{impl}.zarr"), "rate": rate, "frames": args.frames,
                       "codec": args.codec, "frame": (2048, 2048)}
                proc = subprocess.run([str(PYTHONS[impl]), __file__, "--child", json.dumps(cfg)],
                                      capture_output=True, text=True, timeout=3600)
                shutil.rmtree(root, ignore_errors=True)
                result = result_of(proc.stdout)
                if result is None:
                    print(f"{impl} {rate}: failed: {proc.stderr[-800:]}", flush=True)
                    continue
                s = summarize(result, rate)
                rows.append((impl, rate, s))
                print(f"{impl:9s} {rate:6.1f} fps: p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f}, "
                      f"max {s['max_ms']:.1f}, {s['over_period']} appends over a period, "
                      f"behind {s['max_behind']:.1f} frames, lost {s['lost']}, "
                      f"close {s['close_ms']:.0f} ms", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{args.frames} frames of 2048x2048 uint16 at a fixed rate, {args.codec}, chunks "
          f"64x256x256, shards 1x8x8; load average {os.getloadavg()[0]:.2f}\n")
    print("| impl | fps | append p50 ms | p99 ms | max ms | appends > 1 period | most frames behind "
          "| lost, ring 4 / 16 / 64 | close ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for impl, rate, s in rows:
        lost = " / ".join(str(s["lost"][k]) for k in RINGS)
        print(f"| {impl} | {rate:g} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} "
              f"| {s['over_period']} | {s['max_behind']:.1f} | {lost} | {s['close_ms']:.0f} |")


if __name__ == "__main__":
    main()
