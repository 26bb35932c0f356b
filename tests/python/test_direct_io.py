"""ZARR_DIRECT_IO: direct I/O (O_DIRECT) for the data files of a stream.

The variable is read when a stream is created, with the published library's
spelling ("1", "true", "on", "yes" in any case = on). With it, shard and
chunk files are opened with O_DIRECT (checked in /proc/self/fdinfo while the
stream writes them) and must read back exactly as a buffered stream's do,
with zarr-python, TensorStore and the raw decoder: v3 uncompressed (the
direct path, tiles that are not whole blocks), v3 compressed, v2, odd sizes.
Where the filesystem cannot take direct I/O (tmpfs, ramfs) the stream says
so once and writes buffered.

The direct cases need a directory on a filesystem that takes O_DIRECT
(pytest's tmp_path, usually under /tmp); they are skipped elsewhere.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import (
    BZSTD,
    EMPTY,
    LZ4,
    NONE,
    ZSTD,
    ArraySpec,
    node_path,
    parse_shard,
    stream_settings,
    verify_array,
)

HERE = Path(__file__).resolve().parent
WARNING = "ZARR_DIRECT_IO is set, but"
BLOCK = 4096  # the alignment the engine uses on ext4/xfs with 4 KiB pages


def filesystem_type(path: Path) -> str:
    """The type of the mount holding `path` (from /proc/mounts)."""
    real, best, kind = os.path.realpath(path), "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            point, fstype = line.split()[1], line.split()[2]
            if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, kind = point, fstype
    return kind


def takes_direct_io(directory: Path) -> bool:
    """O_DIRECT opens there, and it is not memory (tmpfs: the engine falls back)."""
    if filesystem_type(directory) in ("tmpfs", "ramfs"):
        return False
    probe = Path(directory) / ".o_direct_probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o644)
    except OSError:
        return False
    os.close(fd)
    probe.unlink()
    return True


@pytest.fixture
def disk(tmp_path) -> Path:
    if not takes_direct_io(tmp_path):
        pytest.skip(f"{tmp_path} ({filesystem_type(tmp_path)}) does not take O_DIRECT")
    return tmp_path


def open_files_below(root: Path) -> dict:
    """{path: opened with O_DIRECT} for this process's open files below root."""
    prefix = os.path.realpath(root) + "/"
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            with open(f"/proc/self/fdinfo/{fd}") as info:
                flags = next(int(line.split()[1], 8) for line in info if line.startswith("flags:"))
        except (OSError, StopIteration):
            continue
        if target.startswith(prefix):
            found[target] = found.get(target, False) or bool(flags & os.O_DIRECT)
    return found


def compressible(shape, dtype, seed=0) -> np.ndarray:
    """A ramp with noise: compresses, but not to nothing."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    ramp = (np.arange(n) // 7) % 251
    noise = rng.integers(0, 4, size=n)
    return (ramp + noise + 1).astype(dtype).reshape(shape)


def stream(store: Path, spec: ArraySpec, version: str, data: np.ndarray) -> dict:
    """Writes `data` in uneven pieces; returns what open_files_below saw
    between appends (every data file the stream had open)."""
    s = aqz.ZarrStream(stream_settings(store, spec, version))
    flat = data.reshape(-1)
    step = spec.frame_nbytes // spec.np_dtype.itemsize // 3 + 5
    seen = {}
    for start in range(0, flat.size, step):
        s.append(flat[start : start + step])
        for path, direct in open_files_below(store).items():
            seen[path] = seen.get(path, False) or direct
    s.close()
    return seen


def data_files(store: Path) -> list:
    return sorted(p for p in store.rglob("*") if p.is_file() and p.name not in ("zarr.json", ".zarray", ".zattrs", ".zgroup"))


CASES = {
    # v3 uncompressed, tiles of 18000 bytes: straight from the frame into the
    # shard (tile writes not on block boundaries), ragged in t, y and x.
    "v3-direct-path": ("v3", ArraySpec(shape=(7, 301, 259), chunks=(3, 100, 90), shards=(2, 2, 2))),
    # v3 uncompressed, every tile whole blocks.
    "v3-aligned": ("v3", ArraySpec(shape=(6, 256, 256), chunks=(2, 128, 64), shards=(2, 2, 2))),
    # v3 uncompressed, small tiles: a layer buffer, 4800-byte chunks.
    "v3-small-tiles": ("v3", ArraySpec(shape=(9, 50, 70), chunks=(4, 20, 30), shards=(2, 2, 3))),
    # v3 compressed: chunks of every size.
    "v3-lz4": ("v3", ArraySpec(shape=(11, 200, 333), chunks=(5, 64, 100), shards=(2, 2, 2), codec=LZ4)),
    "v3-zstd-4d": ("v3", ArraySpec(shape=(3, 2, 97, 131), chunks=(2, 1, 50, 64), shards=(1, 2, 1, 3),
                                   dtype="uint8", codec=ZSTD)),
    # v2: a file per chunk.
    "v2-uncompressed": ("v2", ArraySpec(shape=(5, 210, 181), chunks=(2, 100, 90))),
    "v2-blosc-zstd": ("v2", ArraySpec(shape=(8, 130, 97), chunks=(3, 64, 50), dtype="float32", codec=BZSTD)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_direct_streams_read_back_like_buffered_ones(disk, monkeypatch, case):
    version, spec = CASES[case]
    data = compressible(spec.shape, spec.dtype)
    monkeypatch.delenv("ZARR_DIRECT_IO", raising=False)
    buffered = disk / "buffered.zarr"
    seen_buffered = stream(buffered, spec, version, data)
    monkeypatch.setenv("ZARR_DIRECT_IO", "1")
    direct = disk / "direct.zarr"
    seen_direct = stream(direct, spec, version, data)

    # Files seen open between appends: the uncompressed v3 shards always (a
    # frame goes straight into them); the others when a worker happened to
    # be writing one.
    if version == "v3" and spec.codec == NONE and case != "v3-small-tiles":
        assert seen_direct, "no shard file open between appends"
        assert all(seen_direct.values()), f"data files not all O_DIRECT: {seen_direct}"
    # Otherwise a file is seen only if a worker happens to be writing it, and
    # it may be caught while only its buffered descriptor (for an unaligned
    # tail) is open: sampling proves nothing either way there. What shows
    # the direct path deterministically: the block-aligned chunks of direct
    # v3 shards (below) and test_direct_data_stays_out_of_the_page_cache.
    assert not any(seen_buffered.values()), f"O_DIRECT without the variable: {seen_buffered}"

    verify_array(direct, spec, version, data)  # zarr-python, TensorStore, raw chunks
    meta = ".zarray" if version == "v2" else "zarr.json"
    assert (direct / meta).read_bytes() == (buffered / meta).read_bytes()
    files = [p.relative_to(direct) for p in data_files(direct)]
    assert files == [p.relative_to(buffered) for p in data_files(buffered)]
    if version == "v2":  # one chunk per file, nothing to pad: identical files
        for rel in files:
            assert (direct / rel).read_bytes() == (buffered / rel).read_bytes(), rel
        return
    # v3: the same chunk bytes; in the direct shard, chunks of a block or more
    # start on a block (the index says where), and the index ends the file.
    n = math.prod(spec.stored_shards)
    for rel in files:
        d, b = (direct / rel).read_bytes(), (buffered / rel).read_bytes()
        index_d, end_d = parse_shard(d, n)
        index_b, _ = parse_shard(b, n)
        for k in range(n):
            (od, nd), (ob, nb) = (int(x) for x in index_d[k]), (int(x) for x in index_b[k])
            assert nd == nb, f"{rel} chunk {k}: {nd} vs {nb} bytes"
            if od == EMPTY:
                assert ob == EMPTY
                continue
            assert d[od : od + nd] == b[ob : ob + nb], f"{rel} chunk {k} differs"
            if nd >= BLOCK:
                assert od % BLOCK == 0, f"{rel} chunk {k} ({nd} bytes) at {od}"
            assert od + nd <= end_d


@pytest.mark.parametrize(
    "value, on",
    [("1", True), ("true", True), ("TRUE", True), ("on", True), ("Yes", True),
     ("0", False), ("false", False), ("off", False), ("no", False), ("", False), ("maybe", False)],
)
def test_values_as_the_published_library_reads_them(disk, monkeypatch, value, on):
    spec = ArraySpec(shape=(2, 64, 128), chunks=(2, 64, 128))  # 16 KiB tiles
    monkeypatch.setenv("ZARR_DIRECT_IO", value)
    store = disk / "values.zarr"
    s = aqz.ZarrStream(stream_settings(store, spec, "v3"))
    data = compressible(spec.shape, spec.dtype)
    s.append(data[0])  # half a layer: the shard stays open
    seen = open_files_below(store)
    s.append(data[1])
    s.close()
    assert seen and set(seen.values()) == {on}, seen
    verify_array(store, spec, "v3", data)


def test_the_variable_is_read_when_the_stream_is_created(disk, monkeypatch):
    spec = ArraySpec(shape=(2, 64, 128), chunks=(2, 64, 128))
    data = compressible(spec.shape, spec.dtype)
    monkeypatch.delenv("ZARR_DIRECT_IO", raising=False)
    before = aqz.ZarrStream(stream_settings(disk / "before.zarr", spec, "v3"))
    monkeypatch.setenv("ZARR_DIRECT_IO", "1")
    after = aqz.ZarrStream(stream_settings(disk / "after.zarr", spec, "v3"))
    monkeypatch.delenv("ZARR_DIRECT_IO")
    before.append(data[0])
    after.append(data[0])
    # (the next row's shard may be open too: made ahead, preallocated)
    assert set(open_files_below(disk / "before.zarr").values()) == {False}
    assert set(open_files_below(disk / "after.zarr").values()) == {True}
    for s in (before, after):
        s.append(data[1])
        s.close()
    verify_array(disk / "before.zarr", spec, "v3", data)
    verify_array(disk / "after.zarr", spec, "v3", data)


@pytest.mark.skipif(shutil.which("fincore") is None, reason="needs fincore (util-linux)")
@pytest.mark.parametrize("codec", [NONE, LZ4], ids=["raw", "lz4"])
def test_direct_data_stays_out_of_the_page_cache(disk, monkeypatch, codec):
    """What the issue is about: a long acquisition must not fill the page
    cache. After a buffered stream its shard pages are cached; after a direct
    one, only the few buffered bytes (unaligned ends, the index) are. Raw
    frames go straight into their shards; compressed chunks are written by
    the workers, each chunk's room from a block."""
    spec = ArraySpec(shape=(32, 512, 512), chunks=(16, 256, 256), shards=(2, 2, 2),
                     codec=codec)  # 16 MiB of frames
    data = compressible(spec.shape, spec.dtype)

    def resident(store: Path) -> tuple[int, int]:
        files = [str(p) for p in data_files(store)]
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", *files],
                             capture_output=True, text=True, check=True).stdout
        pairs = [tuple(int(v) for v in line.split()) for line in out.splitlines() if line.strip()]
        return sum(r for r, _ in pairs), sum(s for _, s in pairs)

    monkeypatch.delenv("ZARR_DIRECT_IO", raising=False)
    stream(disk / "buffered.zarr", spec, "v3", data)
    monkeypatch.setenv("ZARR_DIRECT_IO", "1")
    stream(disk / "direct.zarr", spec, "v3", data)
    cached_b, size_b = resident(disk / "buffered.zarr")
    cached_d, size_d = resident(disk / "direct.zarr")
    assert size_d >= (data.nbytes if codec == NONE else size_b)
    assert cached_b > size_b // 2, f"buffered: {cached_b} of {size_b} bytes cached (evicted?)"
    assert cached_d < size_d // 20, f"direct: {cached_d} of {size_d} bytes in the page cache"
    verify_array(disk / "direct.zarr", spec, "v3", data)


# --------------------------------------------------------------------------
# Filesystems without direct I/O: one warning per stream, buffered writes
# --------------------------------------------------------------------------

CHILD = """
import logging, sys
from pathlib import Path
sys.path.insert(0, {here!r})
logging.basicConfig(format="%(levelname)s|%(name)s|%(message)s", level=logging.DEBUG)
import numpy as np
import acquire_zarr as aqz
from conftest import LZ4, NONE, ArraySpec, stream_settings, verify_array

store = Path(sys.argv[1])
specs = [
    ArraySpec(key="raw", shape=(7, 301, 259), chunks=(3, 100, 90), shards=(2, 2, 2)),
    ArraySpec(key="lz4", shape=(11, 200, 333), chunks=(5, 64, 100), shards=(2, 2, 2), codec=LZ4),
]
datas = [((np.arange(np.prod(s.shape)) // 7) % 251 + 1).astype(s.dtype).reshape(s.shape) for s in specs]
s = aqz.ZarrStream(stream_settings(store, specs, "v3"))
for spec, data in zip(specs, datas):
    s.append(data, key=spec.key)
s.close()
for spec, data in zip(specs, datas):
    verify_array(store, spec, "v3", data)
v2 = store.parent / "v2.zarr"
spec = ArraySpec(shape=(8, 130, 97), chunks=(3, 64, 50), codec=LZ4)
data = ((np.arange(np.prod(spec.shape)) // 5) % 241).astype(spec.dtype).reshape(spec.shape)
s = aqz.ZarrStream(stream_settings(v2, spec, "v2"))
s.append(data)
s.close()
verify_array(v2, spec, "v2", data)
print("verified")
"""


def run_child(argv_prefix: list, store: Path, value: str = "1") -> subprocess.CompletedProcess:
    env = dict(os.environ, ZARR_DIRECT_IO=value)
    script = CHILD.format(here=str(HERE))
    return subprocess.run([*argv_prefix, sys.executable, "-c", script, str(store)],
                          capture_output=True, text=True, env=env, timeout=300)


def warnings_about_direct_io(stderr: str) -> list:
    return [line for line in stderr.splitlines() if WARNING in line]


@pytest.mark.skipif(not Path("/dev/shm").is_dir() or filesystem_type(Path("/dev/shm")) != "tmpfs",
                    reason="no tmpfs at /dev/shm")
def test_tmpfs_warns_once_per_stream_and_writes_buffered():
    """tmpfs keeps its files in the page cache, so O_DIRECT cannot help there
    (older kernels refuse it, newer ones accept it and change nothing): one
    warning per stream, naming the file and saying it writes buffered; the
    data are right."""
    root = Path("/dev/shm") / f"aqz-direct-io-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    try:
        r = run_child([], root / "out.zarr")
        assert r.returncode == 0, r.stderr[-3000:]
        assert "verified" in r.stdout
        lines = warnings_about_direct_io(r.stderr)
        # two streams (v3 with two arrays, then v2): one warning each
        assert len(lines) == 2, lines
        assert lines[0].startswith("WARNING|acquire_zarr|"), lines
        assert str(root / "out.zarr") in lines[0] and "tmpfs" in lines[0] and "buffered" in lines[0], lines
        assert str(root / "v2.zarr") in lines[1], lines
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_filesystem_refusing_o_direct_warns_once(tmp_path):
    """ramfs refuses O_DIRECT (EINVAL). Mounting one needs a mount namespace
    of our own (root, or user namespaces): skipped without."""
    mnt = tmp_path / "ramfs"
    mnt.mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t ramfs none {mnt}"],
                           capture_output=True, text=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("cannot mount a ramfs here (needs unshare -m as root)")
    script = CHILD.format(here=str(HERE))
    env = dict(os.environ, ZARR_DIRECT_IO="on")
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        f'mount -t ramfs none "$1" && exec "$2" -c "$3" "$1/out.zarr"',
                        "sh", str(mnt), sys.executable, script],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "verified" in r.stdout
    lines = warnings_about_direct_io(r.stderr)
    assert len(lines) == 2, lines
    assert "refuses O_DIRECT" in lines[0] and "buffered" in lines[0], lines


def test_an_unknown_value_warns_and_writes_buffered(tmp_path):
    r = run_child([], tmp_path / "out.zarr", value="sometimes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "verified" in r.stdout
    assert not warnings_about_direct_io(r.stderr)
    ignored = [line for line in r.stderr.splitlines() if "ignoring ZARR_DIRECT_IO='sometimes'" in line]
    assert len(ignored) == 2, r.stderr[-3000:]  # once per stream
