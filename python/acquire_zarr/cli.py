"""The ``acquire-zarr`` command line (also ``python -m acquire_zarr``).

Subcommands:

- ``convert SRC DST``: a ``.npy``, TIFF/OME-TIFF or Zarr/OME-Zarr to an
  OME-Zarr image (Zarr v3 / OME-NGFF 0.5, automatic chunks and shards, a MEAN
  pyramid, Blosc Zstd by default), with a progress bar.
- ``info STORE``: the tree of a Zarr store, each array's shape, dtype, chunks,
  shards, codecs, stored bytes and compression ratio, the OME-NGFF images
  and their levels, and whether their metadata validates.
- ``demo``: stream a simulated camera (what ``make demo`` runs).
- ``bench``: the streaming benchmark, briefly.

Errors are one line on stderr and a non-zero exit status (2 for a bad
command line, 1 for a failure, 130 after Ctrl-C).
"""

# No `from __future__ import annotations`: help() then shows the annotations
# as objects, as in the rest of the package.

import argparse
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

__all__ = ["main"]

PROG = "acquire-zarr"


class _Failure(Exception):
    """An error to report as one line (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


# ---------------------------------------------------------------------------
# convert
# ---------------------------------------------------------------------------

CONVERT_HELP = """\
Convert SRC to an OME-Zarr image at DST, streaming it through the engine one
slab at a time (memory: the engine's bound plus about one slab).

SRC is a .npy file (memory-mapped), a TIFF or OME-TIFF (read lazily with
tifffile: its first series (--series), full resolution; axes, and OME
physical sizes or ImageJ's resolution and spacing as scale and units), or a Zarr array / OME-Zarr image (level 0, with its axes,
scale and units). DST is created; an existing DST needs --overwrite.

By default: Zarr v3 with OME-NGFF 0.5, chunks and shards from the automatic
layout (power-of-two squares or cubes over the space axes: 256^2 / 32^3
elements per chunk, 8192^2 / 512^3 per shard, trimmed to the array), Blosc
Zstd level 1 with byte shuffle, and a MEAN pyramid down to one chunk.

Ctrl-C stops the conversion and leaves a readable partial store whose
metadata claims only rows that are complete (exit status 130).

examples:
  acquire-zarr convert scan.npy scan.ome.zarr --names zyx --scale 2,0.5,0.5 --units micrometer
  acquire-zarr convert stack.ome.tif stack.ome.zarr --codec blosc-lz4 --no-pyramid
  acquire-zarr convert old.zarr new.zarr --chunks 64,64,64 --shards 512,512,512 --zarr-version 3
"""


def _csv(text: str) -> List[str]:
    return [t.strip() for t in text.split(",")]


def _names(text: str) -> List[str]:
    if "," in text:
        return _csv(text)
    return list(text)


def _layout_spec(what: str, allow_none: bool):
    def parse(text: str) -> Any:
        t = text.strip().lower()
        if t == "auto":
            return "auto"
        if allow_none and t == "none":
            return None
        try:
            if "," in t or t.startswith("("):
                return tuple(int(v) for v in t.strip("()").split(",") if v.strip())
            return int(t)
        except ValueError:
            choices = "auto, none" if allow_none else "auto"
            raise argparse.ArgumentTypeError(
                f"{what} {text!r} is not {choices}, an element count or a comma list of sizes"
            ) from None

    return parse


def _scales(text: str) -> Any:
    try:
        values = [float(v) for v in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale {text!r} is not a comma list of numbers") from None
    return values[0] if len(values) == 1 else values


def _units(text: str) -> Any:
    values = _csv(text)
    if len(values) == 1:
        return values[0] or None
    return [v or None for v in values]


def _attributes(text: str) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--attributes is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--attributes must be a JSON object")
    return value


def _add_convert(sub: Any) -> None:
    p = sub.add_parser("convert", help="convert a .npy, TIFF or Zarr to OME-Zarr",
                       description=CONVERT_HELP, formatter_class=_Formatter)
    p.add_argument("src", metavar="SRC", help="the .npy, TIFF/OME-TIFF or Zarr/OME-Zarr to read")
    p.add_argument("dst", metavar="DST", help="the OME-Zarr image to write (a directory)")
    p.add_argument("--series", type=int, default=0,
                   help="the series of a TIFF with several (default 0)")
    axes = p.add_argument_group("axes")
    axes.add_argument("--names", type=_names, metavar="NAMES",
                      help="axis names in SRC's order: letters (zyx) or a comma list (t,c,z,y,x); "
                           "default: from SRC, else (t)(c)(z)yx by the number of axes")
    axes.add_argument("--kinds", type=_csv, metavar="KINDS",
                      help="comma list of space, time, channel, other (default: from the names: "
                           "t time, c channel, z/y/x space)")
    axes.add_argument("--scale", type=_scales, metavar="S",
                      help="pixel size per axis (comma list), or one number for every space axis")
    axes.add_argument("--units", type=_units, metavar="U",
                      help="UDUNITS unit per axis (comma list; empty = none), or one unit for "
                           "every space axis, e.g. micrometer")
    lay = p.add_argument_group("layout")
    lay.add_argument("--chunks", type=_layout_spec("--chunks", False), default="auto", metavar="SPEC",
                     help="auto (default), a target element count, or sizes per axis "
                          "(comma list; 0 = span the axis)")
    lay.add_argument("--shards", type=_layout_spec("--shards", True), default="auto", metavar="SPEC",
                     help="auto (default), none (not sharded), a target element count, or sizes "
                          "per axis (multiples of the chunks; 0 = span the axis; needs explicit "
                          "--chunks)")
    codec = p.add_argument_group("compression")
    codec.add_argument("--codec", choices=["blosc-zstd", "blosc-lz4", "zstd", "none"],
                       default="blosc-zstd", help="default blosc-zstd")
    codec.add_argument("--level", type=int, default=1,
                       help="compression level (Blosc 0-9, Zstd 1-22; default 1)")
    codec.add_argument("--shuffle", type=int, choices=[0, 1, 2], default=None,
                       help="Blosc shuffle: 0 none, 1 byte (default), 2 bit")
    pyr = p.add_argument_group("pyramid and format")
    pyr.add_argument("--method", choices=["mean", "min", "max", "decimate"], default="mean",
                     help="how pyramid levels are computed (default mean)")
    pyr.add_argument("--no-pyramid", action="store_true", help="write level 0 only")
    pyr.add_argument("--max-levels", type=int, default=0,
                     help="cap on the downsampled levels (default 0: until one chunk)")
    pyr.add_argument("--zarr-version", type=int, choices=[2, 3], default=3,
                     help="3: Zarr v3 + OME-NGFF 0.5 (default); 2: Zarr v2 + OME-NGFF 0.4 "
                          "(no shards)")
    pyr.add_argument("--name", help="the multiscales name (default: none)")
    pyr.add_argument("--attributes", type=_attributes, metavar="JSON",
                     help="extra attributes for the image group, a JSON object")
    run = p.add_argument_group("run")
    run.add_argument("--overwrite", action="store_true", help="replace DST if it exists")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (axes, layout, levels, slabs, memory) and write nothing")
    run.add_argument("--threads", type=int, default=0,
                     help="engine worker threads (default 0: all)")
    run.add_argument("--max-slab-mb", type=float, default=64.0,
                     help="bound on one slab read from SRC, in MiB (default 64)")
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show the progress bar (default: when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="no progress bar")
    p.set_defaults(run=_convert)


def _compression(args: argparse.Namespace) -> Any:
    from ._acquire_zarr import CompressionCodec, Compressor
    from ._settings import CompressionSettings

    if args.codec == "none":
        return None
    if args.codec == "zstd":
        return CompressionSettings(compressor=Compressor.ZSTD, codec=CompressionCodec.ZSTD,
                                   level=args.level, shuffle=0)
    codec = CompressionCodec.BLOSC_ZSTD if args.codec == "blosc-zstd" else CompressionCodec.BLOSC_LZ4
    return CompressionSettings(compressor=Compressor.BLOSC1, codec=codec, level=args.level,
                               shuffle=1 if args.shuffle is None else args.shuffle)


def _claimed_rows(dst: Path, version: int) -> Optional[int]:
    meta = dst / "0" / ("zarr.json" if version == 3 else ".zarray")
    try:
        return int(json.loads(meta.read_text())["shape"][0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _convert(args: argparse.Namespace) -> int:
    from .convert import open_source, to_ome_zarr, tqdm_progress

    src, dst = Path(args.src), Path(args.dst)
    if args.level < 0:
        raise _Failure(f"--level {args.level} is negative")
    if src.exists() and (src.resolve() == dst.resolve() or src.resolve() in dst.resolve().parents
                         or dst.resolve() in src.resolve().parents):
        raise _Failure(f"{dst} overlaps the source {src}: write somewhere else")
    if os.path.lexists(dst) and not args.overwrite:
        raise _Failure(f"{dst} exists; pass --overwrite to replace it")
    info = open_source(src, series=args.series)
    progress = (args.progress if args.progress is not None else sys.stderr.isatty()) and \
        not args.dry_run
    close_bar = None
    callback = None
    if progress:
        callback, close_bar = tqdm_progress(f"{src.name} -> {dst.name}")
    try:
        try:
            result = to_ome_zarr(
                info.array, dst,
                dimension_names=args.names if args.names is not None else info.dimension_names,
                dimension_kinds=args.kinds if args.kinds is not None else (
                    info.dimension_kinds if args.names is None else None),
                scale=args.scale if args.scale is not None else info.scale,
                units=args.units if args.units is not None else info.units,
                chunks=args.chunks, shards=args.shards,
                compression=_compression(args),
                downsampling_method=None if args.no_pyramid else args.method,
                max_levels=args.max_levels, version=args.zarr_version, name=args.name,
                attributes=args.attributes, overwrite=args.overwrite, max_threads=args.threads,
                progress=callback, max_slab_bytes=max(1, int(args.max_slab_mb * (1 << 20))),
                dry_run=args.dry_run,
            )
        except KeyboardInterrupt:
            if close_bar:
                close_bar()
            rows = _claimed_rows(dst, args.zarr_version)
            if rows is None:
                sys.stderr.write(f"{PROG} convert: interrupted before {dst} was written\n")
            else:
                sys.stderr.write(f"{PROG} convert: interrupted; {dst} is a readable partial "
                                 f"store ({rows} complete rows along its first axis)\n")
            return 130
    finally:
        if close_bar:
            close_bar()
        info.close()
    ngff = "0.5" if args.zarr_version == 3 else "0.4"
    if not result.written:
        print(f"{info.description}")
        print(f"would write {dst}: OME-NGFF {ngff} image, {'x'.join(map(str, result.shape))} "
              f"{result.dtype} ({','.join(result.dimension_names)}), {result.layout}, "
              f"{result.levels} level{'s' if result.levels != 1 else ''}; read in "
              f"{result.slabs} slab{'s' if result.slabs != 1 else ''}; memory: the engine's "
              f"{result.engine_memory_bytes / 2**20:.1f} MiB plus the slabs "
              f"(at most {args.max_slab_mb:g} MiB, or whole source chunks)")
        return 0
    rate = result.bytes / result.seconds / 1e6 if result.seconds > 0 else 0.0
    print(f"wrote {dst}: OME-NGFF {ngff} image, {'x'.join(map(str, result.shape))} "
          f"{result.dtype} ({','.join(result.dimension_names)}), {result.layout}, "
          f"{result.levels} level{'s' if result.levels != 1 else ''}; "
          f"{result.bytes / 1e6:.1f} MB in {result.seconds:.2f} s ({rate:.0f} MB/s)")
    return 0


# ---------------------------------------------------------------------------
# info
# ---------------------------------------------------------------------------

_META = {"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"}


def _load(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _stored_bytes(directory: Path) -> int:
    total = 0
    for root, _, files in os.walk(directory):
        # a nested array or group (not a chunk directory) is counted on its own
        if Path(root) != directory and any(m in files for m in ("zarr.json", ".zarray", ".zgroup")):
            continue
        for f in files:
            if f not in _META:
                try:
                    total += os.lstat(os.path.join(root, f)).st_size
                except OSError:
                    pass
    return total


def _codec_text(codecs: List[dict]) -> Tuple[str, Optional[List[int]]]:
    parts: List[str] = []
    inner_chunks = None
    for c in codecs:
        name = c.get("name", "?")
        cfg = c.get("configuration") or {}
        if name == "sharding_indexed":
            inner_chunks = cfg.get("chunk_shape")
            inner, _ = _codec_text(cfg.get("codecs") or [])
            parts.append(inner)
        elif name == "blosc":
            parts.append(f"blosc {cfg.get('cname')} level {cfg.get('clevel')} "
                         f"{cfg.get('shuffle')}")
        elif name == "zstd":
            parts.append(f"zstd level {cfg.get('level')}")
        elif name in ("bytes", "transpose"):
            continue
        else:
            parts.append(name)
    return (", ".join(parts) or "uncompressed"), inner_chunks


def _v2_codec(meta: dict) -> str:
    c = meta.get("compressor")
    if not c:
        return "uncompressed"
    if c.get("id") == "blosc":
        shuffle = {0: "noshuffle", 1: "shuffle", 2: "bitshuffle", -1: "autoshuffle"}.get(
            c.get("shuffle"), c.get("shuffle"))
        return f"blosc {c.get('cname')} level {c.get('clevel')} {shuffle}"
    if c.get("id") == "zstd":
        return f"zstd level {c.get('level')}"
    return str(c.get("id"))


def _dtype_itemsize(dtype: Any) -> int:
    import numpy as np

    try:
        return np.dtype(dtype).itemsize
    except TypeError:
        return 0


def _node(path: Path) -> Optional[Tuple[str, int, dict, dict]]:
    """(node_type, zarr_format, metadata, attributes) of a directory."""
    v3 = _load(path / "zarr.json")
    if v3 is not None and v3.get("zarr_format") == 3:
        return v3.get("node_type", "?"), 3, v3, v3.get("attributes") or {}
    attrs = _load(path / ".zattrs") or {}
    za = _load(path / ".zarray")
    if za is not None:
        return "array", 2, za, attrs
    if (path / ".zgroup").exists():
        return "group", 2, _load(path / ".zgroup") or {}, attrs
    return None


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover


def _validate(path: Path, version: int) -> str:
    try:
        import zarr
        from ome_zarr_models import open_ome_zarr
    except ImportError:
        return "not checked (pip install ome-zarr-models)"
    try:
        group = zarr.open_group(str(path), mode="r", zarr_format=version)
        model = open_ome_zarr(group)
    except Exception as e:  # its validation errors are pydantic's and others
        first = str(e).strip().splitlines()
        return "INVALID: " + (" ".join(first[:3]) if first else type(e).__name__)
    return f"valid ({type(model).__module__.split('.')[1]} {type(model).__name__})"


def _info(args: argparse.Namespace) -> int:
    root = Path(args.store)
    if not root.exists():
        raise _Failure(f"{root} does not exist")
    top = _node(root)
    if top is None:
        raise _Failure(f"{root} is not a Zarr store (no zarr.json, .zarray or .zgroup)")
    totals = {"stored": 0, "logical": 0, "arrays": 0}
    invalid = 0

    def walk(path: Path, key: str, depth: int) -> None:
        nonlocal invalid
        node = _node(path)
        if node is None:
            return
        kind, version, meta, attrs = node
        indent = "  " * depth
        label = key or "/"
        if kind == "array":
            shape = meta.get("shape", [])
            if version == 3:
                dtype = meta.get("data_type")
                grid = (meta.get("chunk_grid") or {}).get("configuration", {}).get("chunk_shape")
                codecs, inner = _codec_text(meta.get("codecs") or [])
                chunks, shards = (inner, grid) if inner else (grid, None)
            else:
                dtype = meta.get("dtype")
                chunks, shards, codecs = meta.get("chunks"), None, _v2_codec(meta)
            itemsize = _dtype_itemsize(dtype)
            logical = itemsize
            for n in shape:
                logical *= int(n)
            stored = _stored_bytes(path)
            totals["stored"] += stored
            totals["logical"] += logical
            totals["arrays"] += 1
            ratio = f"{logical / stored:.2f}x" if stored else "-"
            names = meta.get("dimension_names")
            print(f"{indent}{label}  array v{version}  shape {tuple(shape)}  {dtype}"
                  + (f"  dims {','.join(map(str, names))}" if names else ""))
            print(f"{indent}    chunks {tuple(chunks) if chunks else '?'}  shards "
                  f"{tuple(shards) if shards else 'none'}  codecs {codecs}")
            print(f"{indent}    stored {_human(stored)} of {_human(logical)}  ratio {ratio}")
            return
        ome = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else {}
        multiscales = ome.get("multiscales") or attrs.get("multiscales")
        extra = ""
        if isinstance(multiscales, list) and multiscales and isinstance(multiscales[0], dict):
            ms = multiscales[0]
            ngff = ome.get("version") or ms.get("version") or "?"
            axes = ",".join(a.get("name", "?") if isinstance(a, dict) else str(a)
                            for a in ms.get("axes") or [])
            levels = [d.get("path") for d in ms.get("datasets") or []]
            name = f" '{ms['name']}'" if ms.get("name") else ""
            method = f", {ms['type']}" if ms.get("type") else ""
            extra = (f"  OME-NGFF {ngff} image{name}: axes {axes}, {len(levels)} level"
                     f"{'s' if len(levels) != 1 else ''} ({', '.join(map(str, levels))}){method}")
        elif "plate" in attrs or "plate" in ome:
            extra = "  OME-NGFF plate"
        elif "well" in attrs or "well" in ome:
            extra = "  OME-NGFF well"
        print(f"{indent}{label}  group v{version}{extra}")
        if extra and "image" in extra:
            verdict = _validate(path, version)
            invalid += verdict.startswith("INVALID")
            print(f"{indent}    OME metadata {verdict}")
        others = {k: v for k, v in attrs.items() if k not in ("ome", "multiscales")}
        if others:
            print(f"{indent}    attributes {', '.join(sorted(others))}")
        for child in sorted(p for p in path.iterdir() if p.is_dir()):
            if _node(child) is not None:
                walk(child, child.name if not key else f"{key}/{child.name}", depth + 1)

    walk(root, "", 0)
    ratio = totals["logical"] / totals["stored"] if totals["stored"] else 0
    print(f"{totals['arrays']} array{'s' if totals['arrays'] != 1 else ''}, stored "
          f"{_human(totals['stored'])} of {_human(totals['logical'])}"
          + (f" (ratio {ratio:.2f}x)" if ratio else ""))
    return 1 if invalid else 0


def _add_info(sub: Any) -> None:
    p = sub.add_parser(
        "info", help="describe a Zarr store (tree, layout, codecs, sizes, OME validity)",
        formatter_class=_Formatter,
        description="Print the tree of the local Zarr v2/v3 store STORE: each group (an "
                    "OME-NGFF image with its axes and levels, and whether its metadata validates "
                    "with ome-zarr-models when that is installed) and each array (shape, dtype, "
                    "dimension names, chunks, shards, codecs, bytes stored, and the compression "
                    "ratio: logical bytes / stored bytes). Exit status 1 when an image's OME "
                    "metadata does not validate.")
    p.add_argument("store", metavar="STORE", help="a Zarr store directory (any tool's)")
    p.set_defaults(run=_info)


# ---------------------------------------------------------------------------
# demo and bench
# ---------------------------------------------------------------------------


def _add_demo(sub: Any) -> None:
    from . import _demo

    p = sub.add_parser(
        "demo", help="stream a simulated camera to a temporary folder and read it back",
        description=_demo.__doc__, formatter_class=_Formatter)
    _demo.build_parser(p)
    p.set_defaults(run=lambda args: (_demo.run_demo(args), 0)[1])


def _find_bench() -> Optional[Path]:
    candidates = []
    if os.environ.get("AQZ_BENCH"):
        candidates.append(Path(os.environ["AQZ_BENCH"]))
    candidates.append(Path.cwd() / "benchmarks" / "bench.py")
    # The checkout's .venv: <checkout>/.venv
    candidates.append(Path(sys.prefix).parent / "benchmarks" / "bench.py")
    for c in candidates:
        if c.is_file():
            return c
    return None


BENCH_HELP = """\
Run the streaming benchmark (benchmarks/bench.py of a source checkout) briefly:
one run of 64 frames of 2048x2048 uint16 with this package only, to tmpfs.
Options after -- go to bench.py and replace the brief defaults, e.g.
  acquire-zarr bench -- --runs 3 --frames 256 --impl ours,tensorstore

The full benchmarks: `make bench` (all implementations, 5 runs each; see
benchmarks/README.md), and `make bench-convert` (benchmarks/convert_bench.py)
for converting whole volumes against other tools. bench.py is found in ./benchmarks, next to the
checkout's .venv, or at $AQZ_BENCH.
"""


def _bench(args: argparse.Namespace) -> int:
    script = _find_bench()
    if script is None:
        raise _Failure("benchmarks/bench.py not found: run from a source checkout of acquire-zarr "
                       "(or set AQZ_BENCH to its path)")
    extra = list(args.bench_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    command = [sys.executable, str(script)] + (
        extra or ["--runs", "1", "--frames", "64", "--impl", "ours"])
    print(f"{PROG} bench: {' '.join(command)}", flush=True)
    print("  (brief; the full benchmarks: make bench, see benchmarks/README.md; conversions: "
          "make bench-convert, benchmarks/convert_bench.py)", flush=True)
    return subprocess.call(command)


def _add_bench(sub: Any) -> None:
    p = sub.add_parser("bench", help="run the streaming benchmark briefly",
                       description=BENCH_HELP, formatter_class=_Formatter)
    p.add_argument("bench_args", nargs=argparse.REMAINDER, metavar="-- BENCH_ARGS",
                   help="arguments for benchmarks/bench.py (default: --runs 1 --frames 64 "
                        "--impl ours)")
    p.set_defaults(run=_bench)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


MAIN_HELP = """\
acquire-zarr: write Zarr v2/v3 and OME-Zarr with the acquire-zarr streaming
engine (also `python -m acquire_zarr`).

  convert SRC DST   a .npy, TIFF/OME-TIFF or Zarr/OME-Zarr to an OME-Zarr image
  info STORE        the tree, layout, codecs, sizes and OME validity of a store
  demo              stream a simulated camera to Zarr and read it back
  bench             the streaming benchmark, briefly
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``acquire-zarr`` argument parser."""
    from . import __version__

    parser = _Parser(prog=PROG, description=MAIN_HELP, formatter_class=_Formatter,
                     epilog=f"`{PROG} COMMAND --help` describes each command. Errors are one "
                            f"line on stderr; exit status 2 for a bad command line, 1 for a "
                            f"failure, 130 after Ctrl-C.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_convert(sub)
    _add_info(sub)
    _add_demo(sub)
    _add_bench(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (the console script
    exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    where = f"{PROG} {args.command}"
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write(f"{where}: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `acquire-zarr info x.zarr | head`
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SystemExit:
        raise
    except Exception as e:  # one line, never a traceback
        if os.environ.get("AQZ_TRACEBACK"):
            raise
        message = " ".join(str(e).split()) or type(e).__name__
        from ._errors import AcquireZarrError

        plain = (_Failure, AcquireZarrError, ValueError, OSError, ImportError)
        kind = "" if isinstance(e, plain) else f"{type(e).__name__}: "
        sys.stderr.write(f"{where}: error: {kind}{message}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
