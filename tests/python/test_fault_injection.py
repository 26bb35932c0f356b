"""Write faults injected into a stream (an LD_PRELOAD shim fails chosen
write, pwritev, ftruncate or rename calls on the store with EIO once, or with
ENOSPC for good after a short write): the stream must fail (append or close
raises), and every row the metadata claims afterwards must read back exactly,
with zarr-python and TensorStore. No temporary file may be left behind.

AQZ_FAULT_POINTS sets how many fault positions are tried per configuration
and mode (default 10; `make fuzz` tries every one)."""

from __future__ import annotations

import os

import pytest

import claims
import faults
from claims import StreamConfig

CONFIGS = [
    # Blosc-LZ4, shards three layers deep: the index is rewritten per layer.
    StreamConfig(name="lz4-deep-shards"),
    # Uncompressed frames written straight into their shards (tiles of
    # 32 KiB), two layers per shard.
    StreamConfig(name="raw-direct", codec="none", frame_shape=(256, 256),
                 chunk=(2, 128, 128), shard=(2, 2, 1), frames=9),
    # Zarr v2: one file per chunk, Zstandard.
    StreamConfig(name="v2-zstd", version="v2", codec="zstd", shard=(1, 1, 1), frames=11),
    # A bounded array with a pyramid: every level must keep its promise.
    StreamConfig(name="pyramid", frame_shape=(64, 64), chunk=(2, 16, 16), shard=(2, 2, 2),
                 frames=12, bounded=True, downsampling="mean"),
    # ... uncompressed: each level's frames go straight into their shards,
    # so a failed write fails the append itself, possibly after the lower
    # levels took the frame (and with a level's next-level piece half made).
    StreamConfig(name="raw-pyramid", codec="none", frame_shape=(64, 64), chunk=(2, 16, 16),
                 shard=(2, 2, 2), frames=12, bounded=True, downsampling="mean"),
    # ... and halving Z too: an even plane waits for its partner, and a
    # plane whose write failed must not be waiting (nor its partner lost).
    StreamConfig(name="raw-pyramid-z", codec="none", planes=4, frame_shape=(32, 32),
                 chunk=(1, 2, 16, 16), shard=(2, 2, 2, 2), frames=4 * 3, bounded=True,
                 downsampling="mean"),
    # t, z, y, x with t chunk 1: the unit of work is a band of 2 planes;
    # shards 2 deep in t and z, so a shard's bands interleave with other
    # shards' (z has 3 bands, the last in an edge shard). Ends mid-row.
    StreamConfig(name="bands", planes=6, frame_shape=(32, 48), chunk=(1, 2, 16, 16),
                 shard=(2, 2, 2, 2), frames=6 * 2 + 3),
    # Frames cut into bands of one chunk of rows (t chunk 1: each frame is
    # its own layer; here every frame is "too large", 4 bands each), shards
    # 2 bands deep, so a shard is finished by its second band.
    StreamConfig(name="banded", frame_shape=(64, 48), chunk=(1, 16, 16), shard=(2, 2, 2),
                 frames=10, banded_bytes=1),
    # ... with a pyramid: level 1 banded too (2 bands of level 0 make one),
    # level 2 a single chunk of rows, so whole frames.
    StreamConfig(name="banded-pyramid", frame_shape=(64, 48), chunk=(1, 16, 16),
                 shard=(2, 2, 2), frames=8, bounded=True, downsampling="mean",
                 banded_bytes=1),
]

MODES = {
    "EIO-once": {"errno": "EIO", "count": 1, "partial": False},
    "ENOSPC-for-good": {"errno": "ENOSPC", "count": -1, "partial": True},
}


def fault_points(calls: int, every: bool = False) -> list:
    wanted = 0 if every else int(os.environ.get("AQZ_FAULT_POINTS", "10"))
    if wanted <= 0 or wanted >= calls:
        return list(range(1, calls + 1))
    step = (calls - 1) / (wanted - 1)
    return sorted({1 + round(i * step) for i in range(wanted)})


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    return faults.build_shim(tmp_path_factory.mktemp("shim"))


def case(config: StreamConfig, store, at: int, mode: str) -> dict:
    return {"config": config.to_json(), "store": str(store), "at": at, **MODES[mode]}


def check_claims_of(store, config: StreamConfig, result: dict) -> list:
    """claims.check_claims for a stream that got the frames it appended and
    perhaps the one whose append failed: that one was handed on (a failure
    in its own writes; the pyramid's next level still takes it) or refused
    before it was looked at (a failure recorded earlier stops the stream).
    Where Z halves, the two give different last rows: the claims must match
    one of them."""
    appended = result["appended"]
    if not result["append_error"]:
        return claims.check_claims(store, config, given=appended)
    try:
        return claims.check_claims(store, config, given=appended + 1)
    except AssertionError:
        return claims.check_claims(store, config, given=appended)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
def test_claims_survive_write_faults(shim, tmp_path, config, mode):
    # How many write calls the stream makes: run it once without a fault.
    counted = faults.run_cases(shim, [case(config, tmp_path / "count", 0, mode)], tmp_path)[0]
    assert counted["created"] and counted["failed"] == 0
    assert counted["appended"] == config.frames and counted["close_error"] is None
    assert claims.check_claims(tmp_path / "count", config)[0] == config.rows
    assert counted["calls"] > config.frames // config.chunk[0]

    # Bands and banded frames: every write call (about 60 for bands), since
    # a fault in a metadata write while a row is partly appended is a
    # window of a few calls. Halving Z: every call too, since only a fault
    # in an even plane's frame write leaves a plane waiting.
    points = fault_points(counted["calls"],
                          every=config.name in ("bands", "banded", "raw-pyramid-z"))
    cases = [case(config, tmp_path / f"at{at}", at, mode) for at in points]
    results = faults.run_cases(shim, cases, tmp_path)

    injected = 0
    for at, result in zip(points, results):
        store = tmp_path / f"at{at}"
        context = f"fault at write call {at} of {counted['calls']}: {result}"
        assert not claims.stray_files(store), context
        rows = check_claims_of(store, config, result) if store.exists() else [None]
        if result["failed"] == 0:  # fewer calls this time: no fault happened
            assert rows[0] == config.rows, context
            continue
        injected += 1
        reported = result.get("create_error") or result["append_error"] or result["close_error"]
        assert reported, f"a write failed but the stream did not say so: {context}"
        assert "I/O" in reported or "No space" in reported or "cannot" in reported, context
    assert injected >= len(points) // 2, "most fault positions must be reached"


def test_failed_layer_is_not_claimed(shim, tmp_path):
    """A fault in the middle of the stream: rows from that layer on are not
    claimed, the rows before it are (nothing accepted before is lost)."""
    config = StreamConfig(name="mid", frames=24)
    counted = faults.run_cases(shim, [case(config, tmp_path / "count", 0, "EIO-once")], tmp_path)[0]
    at = counted["calls"] // 2
    result = faults.run_cases(shim, [case(config, tmp_path / "mid", at, "EIO-once")], tmp_path)[0]
    assert result["failed"] == 1
    rows = claims.check_claims(tmp_path / "mid", config)[0]
    assert 0 < rows < config.frames, (rows, result)
    # Whole layers, or up to the last frame appended when close() wrote
    # the open layer after a failure elsewhere.
    assert rows % config.chunk[0] == 0 or rows == result["appended"], (rows, result)
