"""Streaming to a second, independent S3 implementation: OpenStack Swift's
proxy with its s3api middleware (tempauth checking SigV4 signatures), started
by swift_server.py from Debian's packages under a temporary directory.

Each round trip (v3 and v2, raw and Blosc-LZ4) streams a large array whose
shard (v3) or chunk (v2) is a multipart object well over 5 MiB and a small
nested array of single-PUT objects, over a stale object that overwrite=True
must delete (DeleteObjects); then every object is downloaded with boto3 and
compared byte for byte with what the same stream writes to disk, and the
downloaded copy is read with zarr-python against numpy. Without the Swift
packages the tests fail (not skip), naming them."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
import swift_server

T, S = aqz.DimensionType.TIME, aqz.DimensionType.SPACE
PART = 5 << 20

LZ4 = aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                              codec=aqz.CompressionCodec.BLOSC_LZ4, level=1, shuffle=1)


@pytest.fixture(scope="module")
def swift():
    try:
        server = swift_server.start()
    except swift_server.SwiftUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    swift_server.stop(server)


@pytest.fixture()
def credentials(swift, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", swift.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", swift.secret)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return swift


def dims(frame, chunk, shard):
    return [
        aqz.Dimension(name="t", kind=T, array_size_px=0, chunk_size_px=chunk[0],
                      shard_size_chunks=shard[0]),
        aqz.Dimension(name="y", kind=S, array_size_px=frame[0], chunk_size_px=chunk[1],
                      shard_size_chunks=shard[1]),
        aqz.Dimension(name="x", kind=S, array_size_px=frame[1], chunk_size_px=chunk[2],
                      shard_size_chunks=shard[2]),
    ]


def frames(n, frame, seed):
    # Below 256: Blosc-LZ4 with shuffle halves them (the high bytes are zero),
    # so the compressed shard and chunk are still over 5 MiB.
    return np.random.default_rng(seed).integers(0, 256, size=(n, *frame), dtype=np.uint16)


BIG, SMALL = (1024, 1024), (64, 48)
N = 10  # one full layer of shards (v3) or chunks (v2) and a partial one


def arrays(version, compressed):
    # v3: chunks 4x512x512 in shards of 2x2x2 chunks (16 MiB raw per shard);
    # v2 has no shards: chunks of 8x1024x1024 (16 MiB raw).
    big = ((4, 512, 512), (2, 2, 2)) if version == "v3" else ((8, 1024, 1024), (1, 1, 1))
    compression = LZ4 if compressed else None
    return [
        aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                          dimensions=dims(BIG, *big), compression=compression),
        aqz.ArraySettings(output_key="labels/small", data_type=aqz.DataType.UINT16,
                          dimensions=dims(SMALL, (2, 16, 16), (2, 2, 2)),
                          compression=compression),
    ]


def stream(settings, big, small):
    with aqz.ZarrStream(settings) as s:
        for i in range(N):
            s.append(big[i], key="img")
            s.append(small[i], key="labels/small")


def shard_chunks(shard: bytes, n: int = 8) -> list:
    """The chunks of a shard of n chunks, by its index at the end (n
    offset/size pairs of u64, then a CRC32C); absent chunks as None."""
    index = shard[-(16 * n + 4):-4]
    chunks = []
    for i in range(n):
        offset, size = struct.unpack_from("<QQ", index, 16 * i)
        chunks.append(None if offset == 2**64 - 1 else shard[offset:offset + size])
    return chunks


def read(path, version):
    return zarr.open_array(str(path), mode="r", zarr_format=3 if version == "v3" else 2)[...]


@pytest.mark.parametrize("version", ["v3", "v2"])
@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "lz4"])
def test_round_trip(credentials, tmp_path, version, compressed):
    swift = credentials
    prefix = f"round/{version}-{'lz4' if compressed else 'raw'}.zarr"
    big, small = frames(N, BIG, seed=1), frames(N, SMALL, seed=2)
    stale = f"{prefix}/stale/zarr.json"
    swift.boto.put_object(Bucket=swift.bucket, Key=stale, Body=b"{}")
    zv = aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2
    # One worker, so that chunks go into shards in the same order as on disk.
    stream(aqz.StreamSettings(
        store_path=prefix, arrays=arrays(version, compressed), version=zv, max_threads=1,
        overwrite=True,
        s3=aqz.S3Settings(endpoint=swift.url, bucket_name=swift.bucket, region=swift.region)),
        big, small)
    local = tmp_path / "local.zarr"
    stream(aqz.StreamSettings(store_path=str(local), arrays=arrays(version, compressed),
                              version=zv, max_threads=1), big, small)

    # overwrite=True deleted the stale object; no multipart upload is left.
    downloaded = tmp_path / "downloaded.zarr"
    keys = swift.download(prefix + "/", downloaded)
    assert stale not in keys
    assert not swift.uploads_in_progress()

    # The same objects as the filesystem store: byte for byte, but for the
    # v3 shards two layers deep, which on disk carry an interim index after
    # their first layer: chunk for chunk there.
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert [k[len(prefix) + 1:] for k in keys] == files
    for name in files:
        ours, disk = (downloaded / name).read_bytes(), (local / name).read_bytes()
        if version == "v3" and "/c/" in name:
            assert shard_chunks(ours) == shard_chunks(disk), name
        else:
            assert ours == disk, name

    # The big object went up in parts: over 5 MiB, with a multipart ETag.
    first = f"{prefix}/img/" + ("c/0/0/0" if version == "v3" else "0/0/0")
    head = swift.boto.head_object(Bucket=swift.bucket, Key=first)
    assert head["ContentLength"] > PART, head["ContentLength"]
    parts = -(-head["ContentLength"] // PART)
    assert head["ETag"].strip('"').endswith(f"-{parts}"), head["ETag"]

    # zarr-python on the downloaded copy, against numpy.
    np.testing.assert_array_equal(read(downloaded / "img", version), big)
    np.testing.assert_array_equal(read(downloaded / "labels" / "small", version), small)


def test_wrong_secret_is_refused(swift, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", swift.key_id)
    wrong = swift.secret[:-4] + "WXYZ"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    settings = aqz.StreamSettings(
        store_path="wrong/store.zarr", arrays=arrays("v3", False)[1:], overwrite=True,
        s3=aqz.S3Settings(endpoint=swift.url, bucket_name=swift.bucket, region=swift.region))
    with pytest.raises(RuntimeError) as error:
        aqz.ZarrStream(settings)
    message = str(error.value)
    assert "credentials" in message.lower(), message
    assert wrong not in message and swift.secret not in message
    assert swift.keys("wrong/") == []
