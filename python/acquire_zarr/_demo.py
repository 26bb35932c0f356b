"""Stream a simulated camera to Zarr, then read the result back.

A camera produces 2048 x 2048 uint16 frames of a smooth pattern drifting
across the sensor, plus noise. They are streamed as a Zarr v3 array (t, y, x)
with the append dimension t unbounded, chunks 64 x 256 x 256, shards of
1 x 8 x 8 chunks, Blosc LZ4 level 1 with byte shuffle. Afterwards the store is
opened with zarr-python, and one frame is compared with what was sent.

By default the store goes to a new temporary folder (under $TMPDIR, else
/tmp) that is removed at the end; --output PATH writes it to PATH instead
and keeps it (`make demo DEMO_ARGS="--output demo.zarr"`). Before it starts,
the demo says where it writes and how much. The progress line shows frames
and gigabytes sent; the one rate, at the end, is the data divided by the time
spent in append() and close() (the simulated camera's own time left out).

    acquire-zarr demo [--frames 300] [--size 2048] [--codec lz4] [--output PATH]

(``make demo`` runs it; ``examples/python/demo.py`` is the same program.)
zarr-python is needed for the read-back.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import List, Optional

import numpy as np

import acquire_zarr as aqz  # the public names, as a user program spells them

CODECS = {
    "lz4": (aqz.Compressor.BLOSC1, aqz.CompressionCodec.BLOSC_LZ4),
    "zstd": (aqz.Compressor.BLOSC1, aqz.CompressionCodec.BLOSC_ZSTD),
    "none": None,
}


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    """The demo's options, added to ``parser`` (or a new one)."""
    p = parser or argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", default=None, metavar="PATH",
                   help="write the store here and keep it (replacing what is there); "
                        "default: a temporary folder, removed at the end")
    p.add_argument("--frames", type=int, default=300, help="number of frames")
    p.add_argument("--size", type=int, default=2048, help="frame height and width")
    p.add_argument("--codec", choices=CODECS, default="lz4", help="Blosc codec")
    p.add_argument("--level", type=int, default=1, help="compression level")
    p.add_argument("--threads", type=int, default=0, help="max_threads (0 = all)")
    return p


class Camera:
    """Frames of a smooth pattern that drifts over time, plus sensor noise.

    The pattern and a few noise frames are computed once; a frame is a
    shifted window of the pattern plus one of the noise frames, so the camera
    is much faster than the stream it feeds.
    """

    DRIFT = (3, 5)  # pixels per frame in y and x
    NOISE_FRAMES = 8

    def __init__(self, size, seed=0):
        self.size = size
        self.margin = 256
        n = size + self.margin
        y, x = np.ogrid[0:n, 0:n]
        pattern = (
            20000
            + 9000 * np.sin(x / 61.0) * np.cos(y / 89.0)
            + 6000 * np.cos((x + y) / 173.0)
        )
        self.pattern = pattern.astype(np.uint16)
        rng = np.random.default_rng(seed)
        self.noise = rng.integers(0, 64, (self.NOISE_FRAMES, size, size), dtype=np.uint16)
        self.frame = np.empty((size, size), dtype=np.uint16)

    def capture(self, i, out=None):
        """Frame i (deterministic). Written into `out`, or a reused buffer."""
        dy, dx = ((d * i) % self.margin for d in self.DRIFT)
        window = self.pattern[dy : dy + self.size, dx : dx + self.size]
        out = self.frame if out is None else out
        np.add(window, self.noise[i % self.NOISE_FRAMES], out=out)
        return out


def stream_settings(args, output):
    compression = None
    if CODECS[args.codec] is not None:
        compressor, codec = CODECS[args.codec]
        compression = aqz.CompressionSettings(
            compressor=compressor, codec=codec, level=args.level, shuffle=1
        )
    side = min(256, args.size)
    dimensions = [
        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                      chunk_size_px=64, shard_size_chunks=1),
        aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=args.size,
                      chunk_size_px=side, shard_size_chunks=8),
        aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=args.size,
                      chunk_size_px=side, shard_size_chunks=8),
    ]
    return aqz.StreamSettings(
        store_path=output,
        version=aqz.ZarrVersion.V3,
        overwrite=True,
        max_threads=args.threads,
        arrays=[aqz.ArraySettings(dimensions=dimensions, data_type=aqz.DataType.UINT16,
                                  compression=compression)],
    )


def progress(done, total, nbytes, elapsed, width=30):
    """Frames and bytes so far; no rate (the rate is reported once, at the end)."""
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    sys.stdout.write(f"\r[{bar}] {done}/{total} frames  {nbytes / 1e9:5.2f} GB  {elapsed:6.1f} s")
    sys.stdout.flush()


def bytes_on_disk(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main(argv: Optional[List[str]] = None) -> None:
    """Run the demo with these command-line arguments (default sys.argv)."""
    run_demo(build_parser().parse_args(argv))


def run_demo(args: argparse.Namespace) -> None:
    """Run the demo with parsed arguments (see build_parser)."""
    if args.frames < 1 or args.size < 1:
        sys.exit("--frames and --size must be positive")
    frame_bytes = args.size * args.size * 2
    sent = args.frames * frame_bytes

    temporary = args.output is None
    if temporary:
        workdir = tempfile.mkdtemp(prefix="aqz-demo-")
        output = os.path.join(workdir, "demo.zarr")
    else:
        workdir = None
        output = args.output
    try:
        run(args, output, temporary, frame_bytes, sent)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"removed the temporary folder {workdir}")


def run(args, output, temporary, frame_bytes, sent):
    side = min(256, args.size)
    codec = ("uncompressed" if args.codec == "none"
             else f"Blosc {args.codec.upper()} level {args.level} shuffle")
    where = (f"{output}, in a temporary folder removed at the end "
             f"(--output PATH keeps the store)" if temporary
             else f"{output} (replacing what is there; kept afterwards)")
    print(f"demo: stream {args.frames} frames of {args.size}x{args.size} uint16 "
          f"({sent / 1e9:.2f} GB before compression) to {where}")
    print(f"      as Zarr v3, chunks 64x{side}x{side}, shards 1x8x8 chunks, {codec}; "
          f"then read it back with zarr-python")

    # Refuse early rather than fill the disk: compression may save nothing.
    parent = os.path.dirname(os.path.abspath(output)) or "."
    free = shutil.disk_usage(parent).free
    if free < sent:
        sys.exit(f"demo: only {free / 1e9:.2f} GB free in {parent}, and the store may take up to "
                 f"{sent / 1e9:.2f} GB; pass fewer --frames, or --output somewhere with more room")

    camera = Camera(args.size)
    check_index = args.frames // 2
    expected = camera.capture(check_index, out=np.empty_like(camera.frame))

    stream = aqz.ZarrStream(stream_settings(args, output))
    in_stream = 0.0  # seconds spent in append() and close()
    start = last_update = time.perf_counter()
    closed = False
    try:
        for i in range(args.frames):
            frame = camera.capture(i)
            t0 = time.perf_counter()
            stream.append(frame)
            now = time.perf_counter()
            in_stream += now - t0
            if now - last_update >= 0.1 or i + 1 == args.frames:
                progress(i + 1, args.frames, (i + 1) * frame_bytes, now - start)
                last_update = now
        print()
        t0 = time.perf_counter()
        stream.close()  # flushes what is still buffered; raises if a write failed
        closed = True
        in_stream += time.perf_counter() - t0
    finally:
        if not closed:  # an exception is on its way out: it says what went wrong
            print()
            try:
                stream.close()
            except Exception:
                pass
    wall = time.perf_counter() - start
    print(f"streamed {sent / 1e9:.2f} GB in {in_stream:.2f} s of append() and close(): "
          f"{sent / in_stream / 1e9:.2f} GB/s ({args.frames / in_stream:.1f} frames/s); "
          f"{wall:.2f} s in all with the simulated camera")

    try:
        import zarr
    except ImportError:
        sys.exit("demo: reading the store back needs zarr-python: pip install zarr")
    array = zarr.open_array(output, mode="r")
    stored = bytes_on_disk(output)
    print(f"\n{output}")
    print(f"  shape        {array.shape}")
    print(f"  dtype        {array.dtype}")
    print(f"  chunks       {array.chunks}, shards {array.shards}")
    print(f"  data         {sent / 1e9:.3f} GB")
    print(f"  on disk      {stored / 1e9:.3f} GB ({stored} bytes)")
    print(f"  compression  {sent / stored:.2f}x")

    expected_shape = (args.frames, args.size, args.size)
    if array.shape != expected_shape:
        sys.exit(f"FAIL: shape {array.shape}, expected {expected_shape}")
    if not np.array_equal(array[check_index], expected):
        sys.exit(f"FAIL: frame {check_index} read back differs from the frame sent")
    print(f"  check        frame {check_index} read back with zarr-python equals the frame sent")
