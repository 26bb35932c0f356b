"""benchmarks/bench.py's stream bound (stream_bounds) on made-up measurements, worked by
hand: which term binds on few and on many cores, on tmpfs (writes are CPU time) and on a
disk (they are not), and that a round missing a measurement gives no bound."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402

# One round of a 2 GB stream: Blosc alone 4 GB/s on 2 threads using 1 CPU s (0.5 s/GB),
# memcpy 10 GB/s (0.1 s/GB), write 2 GB/s at ratio 2 (0.25 s/GB), 0.2 s to fault in a layer
# (0.1 s/GB).
ROUND = {"stream_gb": 2.0, "memcpy": 10.0, "write": 2.0, "touch_s": 0.2,
         "blosc-lz4@2": 4.0, "blosc-lz4@2-ratio": 2.0, "blosc-lz4@2-cpu": 1.0}


def test_two_cores_on_tmpfs_share_every_cost():
    # CPU per GB: 0.5 + 0.1 + 0.1 + 0.25 = 0.95 s over 2 cores = 0.475 s/GB, more than
    # Blosc alone's 0.25 s/GB wall.
    bounds = bench.stream_bounds(ROUND, cores=2, tmpfs=True)
    assert bounds == {"stream-lz4@2": pytest.approx(1 / 0.475)}


def test_on_a_disk_the_write_is_not_cpu_time():
    # 0.5 + 0.1 + 0.1 = 0.7 s over 2 cores = 0.35 s/GB; the write lane alone is 0.25.
    bounds = bench.stream_bounds(ROUND, cores=2, tmpfs=False)
    assert bounds["stream-lz4@2"] == pytest.approx(1 / 0.35)


def test_many_cores_leave_blosc_alone_or_the_write_lane_binding():
    # 16 cores: CPU 0.95 / 16 = 0.06 s/GB; the largest single term is the write lane at
    # 0.25 s/GB, the same as Blosc alone's 0.25.
    assert bench.stream_bounds(ROUND, cores=16, tmpfs=True)["stream-lz4@2"] == pytest.approx(4.0)
    faster_disk = dict(ROUND, write=8.0)  # 0.0625 s/GB: now Blosc alone binds
    assert bench.stream_bounds(faster_disk, cores=16, tmpfs=True)["stream-lz4@2"] == \
        pytest.approx(ROUND["blosc-lz4@2"])


def test_the_frame_copy_binds_when_it_is_slowest():
    slow_copy = dict(ROUND, memcpy=1.0)  # one thread at 1 s/GB
    assert bench.stream_bounds(slow_copy, cores=64, tmpfs=True)["stream-lz4@2"] == \
        pytest.approx(1.0)


@pytest.mark.parametrize("missing", ["stream_gb", "memcpy", "write", "blosc-lz4@2-ratio",
                                     "blosc-lz4@2-cpu"])
def test_a_round_missing_a_measurement_has_no_stream_bound(missing):
    partial = {k: v for k, v in ROUND.items() if k != missing}
    assert bench.stream_bounds(partial, cores=2, tmpfs=True) == {}


def test_every_codec_and_thread_count_gets_its_own_bound():
    r = dict(ROUND, **{"blosc-zstd@1": 1.0, "blosc-zstd@1-ratio": 2.5, "blosc-zstd@1-cpu": 2.0})
    bounds = bench.stream_bounds(r, cores=2, tmpfs=True)
    assert set(bounds) == {"stream-lz4@2", "stream-zstd@1"}
    # zstd: Blosc alone 1 s/GB binds (CPU (1 + 0.1 + 0.1 + 0.2) / 2 = 0.7 s/GB).
    assert bounds["stream-zstd@1"] == pytest.approx(1.0)
