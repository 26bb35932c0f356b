"""What the store claims must read back: the stream settings and frames used
by the fault-injection and kill tests, and the check that every row an
array's metadata claims reads back exactly, with zarr-python and with
TensorStore, against a numpy reference."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

import acquire_zarr as aqz

# The readers are imported where they are used: the child processes that
# stream with these settings start faster without them.

KEY = "img"


@dataclass(frozen=True)
class StreamConfig:
    """One array `t, y, x` (with `planes`: `t, z, y, x`) streamed frame by
    frame (picklable as JSON). With planes, `chunk` and `shard` have four
    entries, and `frames` counts planes: the last row may be partial."""

    version: str = "v3"
    codec: str = "lz4"  # none | lz4 | zstd
    frame_shape: tuple = (64, 48)
    chunk: tuple = (2, 16, 16)  # t, y, x
    shard: tuple = (3, 2, 2)  # chunks per shard
    frames: int = 25
    bounded: bool = False  # t has size `frames` (else it is unbounded)
    downsampling: Optional[str] = None  # None | "mean"
    threads: int = 2
    planes: int = 0  # z size (0: no z)
    # ZARR_BANDED_FRAME_BYTES for the stream (0: unset): frames larger than
    # this, in a layout where each frame is its own layer, go in bands.
    banded_bytes: int = 0
    name: str = field(default="", compare=False)

    @property
    def rows(self) -> int:
        """Rows along t that the frames make (a partial last row counts)."""
        return -(-self.frames // self.planes) if self.planes else self.frames

    def to_json(self) -> dict:
        return asdict(self)

    def frame(self, i: int) -> np.ndarray:
        h, w = self.frame_shape
        pixels = np.arange(h * w, dtype=np.uint64)
        values = (pixels * 31 + i * 7919 + (pixels // w) * i) % 60013
        return values.astype(np.uint16).reshape(h, w)

    def reference(self) -> np.ndarray:
        frames = np.stack([self.frame(i) for i in range(self.frames)])
        if not self.planes:
            return frames
        # A partial last row reads as zeros where its planes never came.
        padded = np.zeros((self.rows * self.planes, *self.frame_shape), frames.dtype)
        padded[:self.frames] = frames
        return padded.reshape(self.rows, self.planes, *self.frame_shape)

    def environment(self) -> dict:
        """The environment variables the stream is created with."""
        return {"ZARR_BANDED_FRAME_BYTES": str(self.banded_bytes)} if self.banded_bytes else {}

    def settings(self, store: str) -> aqz.StreamSettings:
        h, w = self.frame_shape
        sizes = [self.rows if self.bounded else 0, *([self.planes] if self.planes else []), h, w]
        names = ["t", *(["z"] if self.planes else []), "y", "x"]
        dims = [
            aqz.Dimension(
                name=name, array_size_px=size, chunk_size_px=chunk, shard_size_chunks=shard,
                kind=aqz.DimensionType.TIME if name == "t" else aqz.DimensionType.SPACE)
            for name, size, chunk, shard in zip(names, sizes, self.chunk, self.shard)
        ]
        array = aqz.ArraySettings(
            output_key=KEY, data_type=aqz.DataType.UINT16, dimensions=dims)
        if self.codec != "none":
            array.compression = aqz.CompressionSettings(
                compressor=aqz.Compressor.BLOSC1 if self.codec == "lz4" else aqz.Compressor.ZSTD,
                codec=aqz.CompressionCodec.BLOSC_LZ4 if self.codec == "lz4" else aqz.CompressionCodec.ZSTD,
                level=1, shuffle=1)
        if self.downsampling:
            array.downsampling_method = aqz.DownsamplingMethod.MEAN
        return aqz.StreamSettings(
            store_path=store, arrays=[array], overwrite=True, max_threads=self.threads,
            version=aqz.ZarrVersion.V3 if self.version == "v3" else aqz.ZarrVersion.V2)

    def levels(self, given: Optional[int] = None) -> list:
        """(key, reference) of each stored array: level 0, then the pyramid.
        `given`: the stream got only its first `given` frames (it stopped
        early); they shape the pyramid's last row where Z halves."""
        import pyramid_reference as pr

        reference = self.reference()
        if not self.downsampling:
            return [(KEY, reference)]
        # With a pyramid the image is a group; its levels are 0, 1, ...
        # Rows are independent in t (Y, X and Z halve within a row), so each
        # level's whole rows come from level 0's whole rows.
        assert not self.planes or self.frames % self.planes == 0, "pyramids need whole rows"
        space = aqz.DimensionType.SPACE
        sizes = [self.rows if self.bounded else 0, *([self.planes] if self.planes else []),
                 *self.frame_shape]
        plan = pr.plan_levels(sizes, list(self.chunk), list(self.shard),
                              [aqz.DimensionType.TIME, *[space] * (len(sizes) - 1)], 0)
        arrays = pr.pyramid(reference, plan, aqz.DownsamplingMethod.MEAN)
        if self.planes and given is not None and given % self.planes:
            # A row cut short: the planes it got are reduced in pairs, the
            # last even plane without its partner passes through in Z (as
            # the stream does at close), and the planes never made read as
            # zeros.
            row = given // self.planes
            partial = reference[row:row + 1, :given % self.planes]
            for k, level in enumerate(plan[1:], start=1):
                partial = pr.downsample_step(partial, aqz.DownsamplingMethod.MEAN,
                                             level.halves_yx, level.z_axis)
                arrays[k] = arrays[k].copy()
                arrays[k][row] = 0
                arrays[k][row, :partial.shape[1]] = partial[0]
        return [(f"{KEY}/{k}", a) for k, a in enumerate(arrays)]


def claimed_rows(store: Path, key: str, version: str) -> Optional[int]:
    """Rows along t that the array's metadata claims (None: no metadata)."""
    node = store / key
    document = node / ("zarr.json" if version == "v3" else ".zarray")
    if not document.exists():
        return None
    return json.loads(document.read_text())["shape"][0]


def read_rows(store: Path, key: str, version: str, rows: int, reader: str) -> np.ndarray:
    import tensorstore as ts
    import zarr

    path = str(store / key)
    if reader == "zarr":
        array = zarr.open_array(path, mode="r", zarr_format=3 if version == "v3" else 2)
        return array[:rows]
    spec = {"driver": "zarr3" if version == "v3" else "zarr",
            "kvstore": {"driver": "file", "path": path + "/"}}
    return ts.open(spec, open=True, read=True).result()[:rows].read().result()


def read_growing(store: Path, key: str, version: str, rows: int, reader: str) -> np.ndarray:
    """read_rows() while the writer is running. zarr-python's LocalStore
    reads a shard's index as "seek to the end minus its length, then read to
    the end", so when the shard grows between the two (its next layer's
    index being appended), it gets more bytes than the index and reports a
    checksum mismatch; a second read is right. (TensorStore reads the exact
    range.) Only that error is retried."""
    for attempt in range(3):
        try:
            return read_rows(store, key, version, rows, reader)
        except ValueError as error:
            if reader != "zarr" or "checksum" not in str(error) or attempt == 2:
                raise
            GROWTH_RETRIES.append(str(error))
    raise AssertionError("unreachable")


GROWTH_RETRIES: list = []  # reads retried by read_growing


def check_claims(store: Path, config: StreamConfig, readers=("zarr", "tensorstore"),
                 live: bool = False, given: Optional[int] = None) -> list:
    """Every row each array claims reads back as the reference; returns the
    claimed rows per array (None where the array has no metadata). `live`:
    the writer is still running (see read_growing). `given`: see
    StreamConfig.levels."""
    rows_per_array = []
    for key, reference in config.levels(given):
        rows = claimed_rows(store, key, config.version)
        rows_per_array.append(rows)
        if rows is None:
            continue
        assert rows <= len(reference), f"{key}: claims {rows} rows of {len(reference)}"
        for reader in readers:
            read = read_growing if live else read_rows
            got = read(store, key, config.version, rows, reader)
            assert got.shape == reference[:rows].shape, (key, reader, got.shape)
            mismatch = np.argwhere(got != reference[:rows])
            assert mismatch.size == 0, (
                f"{key} ({reader}): {len(mismatch)} pixels of the {rows} claimed rows "
                f"differ, first at {mismatch[0].tolist()}")
    return rows_per_array


def stray_files(store: Path) -> list:
    """Temporary files a failed metadata write may leave behind."""
    return sorted(str(p) for p in store.rglob("*.tmp-*"))
