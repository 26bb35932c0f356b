"""Streaming to S3 (moto_server on loopback, signatures checked): every
object the filesystem store gets, read back with boto3 and with zarr-python
through s3fs, against numpy; multipart objects; overwrite both ways; wrong
credentials, a missing bucket and an unreachable endpoint refused before
anything is written; no upload left dangling."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
import s3_server
from s3_server import BUCKET, REGION

T, S = aqz.DimensionType.TIME, aqz.DimensionType.SPACE


@pytest.fixture(scope="module")
def s3():
    process, server = s3_server.start()
    yield server
    s3_server.stop(process)


@pytest.fixture()
def credentials(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return s3


def dims(frames, frame=(64, 48), chunk=(2, 16, 16), shard=(2, 2, 2), bounded=False):
    return [
        aqz.Dimension(name="t", kind=T, array_size_px=frames if bounded else 0,
                      chunk_size_px=chunk[0], shard_size_chunks=shard[0]),
        aqz.Dimension(name="y", kind=S, array_size_px=frame[0], chunk_size_px=chunk[1],
                      shard_size_chunks=shard[1]),
        aqz.Dimension(name="x", kind=S, array_size_px=frame[1], chunk_size_px=chunk[2],
                      shard_size_chunks=shard[2]),
    ]


LZ4 = aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                              codec=aqz.CompressionCodec.BLOSC_LZ4, level=1, shuffle=1)


def frames(n, frame=(64, 48), seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4000, size=(n, *frame), dtype=np.uint16)


def settings(s3, prefix, arrays, version="v3", **kw):
    return aqz.StreamSettings(
        store_path=prefix, arrays=arrays,
        s3=aqz.S3Settings(endpoint=s3.url, bucket_name=BUCKET, region=REGION),
        version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2, **kw)


def read_zarr(s3, prefix, key, version):
    store = s3.zarr_store(prefix)
    return zarr.open_array(store, path=key, mode="r",
                           zarr_format=3 if version == "v3" else 2)[...]


@pytest.mark.parametrize("version", ["v3", "v2"])
@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "lz4"])
def test_round_trip(credentials, version, compressed):
    s3 = credentials
    prefix = f"round/{version}-{compressed}.zarr"
    data = frames(9)
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(9),
                              compression=LZ4 if compressed else None)
    with aqz.ZarrStream(settings(s3, prefix, [array], version, overwrite=True)) as stream:
        stream.append(data)
    np.testing.assert_array_equal(read_zarr(s3, prefix, "img", version), data)
    keys = s3.keys(prefix + "/")
    metadata = "zarr.json" if version == "v3" else ".zarray"
    assert f"{prefix}/img/{metadata}" in keys
    assert not s3.uploads_in_progress()


def test_same_objects_as_the_filesystem(credentials, tmp_path):
    """One worker (so chunks land in shards in one order), shards one layer
    deep: byte for byte the objects of the filesystem store."""
    s3 = credentials
    prefix = "same/store.zarr"
    data = frames(8)

    def array():
        return aqz.ArraySettings(output_key="a/img", data_type=aqz.DataType.UINT16,
                                 dimensions=dims(8, shard=(1, 2, 2)), compression=LZ4)

    with aqz.ZarrStream(settings(s3, prefix, [array()], max_threads=1, overwrite=True)) as stream:
        stream.append(data)
    local = tmp_path / "store.zarr"
    with aqz.ZarrStream(aqz.StreamSettings(store_path=str(local), arrays=[array()],
                                           max_threads=1)) as stream:
        stream.append(data)
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert [k[len(prefix) + 1:] for k in s3.keys(prefix + "/")] == files
    for name in files:
        assert s3.get(f"{prefix}/{name}") == (local / name).read_bytes(), name


def test_multipart_objects(credentials):
    """Shards of 8 MiB and more go up in 5 MiB parts, completed in order."""
    s3 = credentials
    prefix = "multipart/store.zarr"
    data = frames(8, frame=(1024, 1024))
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                              dimensions=dims(8, frame=(1024, 1024), chunk=(4, 512, 512),
                                              shard=(2, 2, 2)))
    with aqz.ZarrStream(settings(s3, prefix, [array], overwrite=True)) as stream:
        for frame in data:
            stream.append(frame)
    shard = f"{prefix}/img/c/0/0/0"
    head = s3.boto.head_object(Bucket=BUCKET, Key=shard)
    assert head["ContentLength"] > 5 << 20
    assert head["ETag"].strip('"').endswith(f"-{-(-head['ContentLength'] // (5 << 20))}"), head["ETag"]
    np.testing.assert_array_equal(read_zarr(s3, prefix, "img", "v3"), data)
    assert not s3.uploads_in_progress()


def test_pyramid_and_several_arrays(credentials):
    s3 = credentials
    prefix = "several/store.zarr"
    a, b = frames(6, seed=1), frames(6, seed=2)
    arrays = [
        aqz.ArraySettings(output_key="a", data_type=aqz.DataType.UINT16, dimensions=dims(6),
                          compression=LZ4, downsampling_method=aqz.DownsamplingMethod.DECIMATE),
        aqz.ArraySettings(output_key="b", data_type=aqz.DataType.UINT16, dimensions=dims(6)),
    ]
    with aqz.ZarrStream(settings(s3, prefix, arrays, overwrite=True)) as stream:
        stream.append(a, key="a")
        stream.append(b, key="b")
    np.testing.assert_array_equal(read_zarr(s3, prefix, "a/0", "v3"), a)
    np.testing.assert_array_equal(read_zarr(s3, prefix, "a/1", "v3"), a[:, ::2, ::2])
    np.testing.assert_array_equal(read_zarr(s3, prefix, "b", "v3"), b)
    group = zarr.open_group(s3.zarr_store(prefix), path="a", mode="r")
    assert group.attrs["ome"]["multiscales"][0]["datasets"][1]["path"] == "1"


def test_overwrite_true_deletes_only_under_the_prefix(credentials):
    s3 = credentials
    s3.boto.put_object(Bucket=BUCKET, Key="ow/store.zarr/old/zarr.json", Body=b"{}")
    s3.boto.put_object(Bucket=BUCKET, Key="ow/store.zarr2/keep", Body=b"x")
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    with aqz.ZarrStream(settings(s3, "ow/store.zarr", [array], overwrite=True)) as stream:
        stream.append(frames(2))
    assert "ow/store.zarr/old/zarr.json" not in s3.keys("ow/")
    assert "ow/store.zarr2/keep" in s3.keys("ow/")


def test_overwrite_false_keeps_objects_and_refuses_an_array(credentials):
    s3 = credentials
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    with aqz.ZarrStream(settings(s3, "keep/store.zarr", [array], overwrite=True)) as stream:
        stream.append(frames(2))
    before = {k: s3.get(k) for k in s3.keys("keep/")}
    with pytest.raises(RuntimeError, match="already"):
        aqz.ZarrStream(settings(s3, "keep/store.zarr", [array], overwrite=False))
    assert {k: s3.get(k) for k in s3.keys("keep/")} == before
    other = aqz.ArraySettings(output_key="other", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    with aqz.ZarrStream(settings(s3, "keep/store.zarr", [other], overwrite=False)) as stream:
        stream.append(frames(2, seed=5))
    np.testing.assert_array_equal(read_zarr(s3, "keep/store.zarr", "img", "v3"), frames(2))
    np.testing.assert_array_equal(read_zarr(s3, "keep/store.zarr", "other", "v3"), frames(2, seed=5))


def test_wrong_secret_is_refused_and_never_shown(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.key_id)
    wrong = s3.secret[:-4] + "WXYZ"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    with pytest.raises(RuntimeError) as error:
        aqz.ZarrStream(settings(s3, "wrong/store.zarr", [array], overwrite=True))
    message = str(error.value)
    assert "credentials" in message.lower(), message
    assert wrong not in message and s3.secret not in message
    assert s3.keys("wrong/") == []


def test_missing_bucket(credentials):
    s3 = credentials
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    st = settings(s3, "x/store.zarr", [array])
    st.s3 = aqz.S3Settings(endpoint=s3.url, bucket_name="no-such-bucket", region=REGION)
    with pytest.raises(RuntimeError, match="(?i)bucket.*no-such-bucket|no-such-bucket.*exist"):
        aqz.ZarrStream(st)


def test_unreachable_endpoint_fails_promptly(credentials):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    st = settings(credentials, "x/store.zarr", [array])
    st.s3 = aqz.S3Settings(endpoint=f"http://127.0.0.1:{port}", bucket_name=BUCKET)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="(?i)reach"):
        aqz.ZarrStream(st)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("endpoint,bucket,match", [
    ("127.0.0.1:9000", BUCKET, "scheme"),
    ("", BUCKET, "endpoint is empty"),
    ("http://127.0.0.1:9000", "", "bucket_name is empty"),
])
def test_bad_s3_settings_name_the_field(tmp_path, endpoint, bucket, match):
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    st = aqz.StreamSettings(store_path="x/store.zarr", arrays=[array],
                            s3=aqz.S3Settings(endpoint=endpoint, bucket_name=bucket))
    with pytest.raises(RuntimeError, match=match):
        aqz.ZarrStream(st)


def test_store_path_must_be_a_key_prefix(credentials):
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    with pytest.raises(RuntimeError, match="key prefix"):
        aqz.ZarrStream(settings(credentials, "a/../b", [array]))


def test_memory_estimate_counts_part_buffers(credentials):
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16, dimensions=dims(2))
    on_s3 = settings(credentials, "m/store.zarr", [array]).get_maximum_memory_usage()
    local = aqz.StreamSettings(store_path="m.zarr", arrays=[array]).get_maximum_memory_usage()
    # 2 rows x 4 shards a layer (2 x 2) x 5 MiB parts, on top of the layer buffers
    assert on_s3 - local >= 2 * 4 * (5 << 20), (on_s3, local)


def test_server_dying_mid_stream_fails_promptly_and_keeps_what_it_claimed(credentials):
    """The connection to the server is cut while frames stream: append or
    close raises within the client's bounded retries, and every row the
    metadata in the bucket claims reads back; no upload is left behind in a
    server that lives on (the stream aborts what it can, and S3's lifecycle
    rules take the rest)."""
    from urllib.parse import urlparse

    s3 = credentials
    proxy = s3_server.CuttableProxy(urlparse(s3.url).port)
    prefix = "dying/store.zarr"
    data = frames(40)
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                              dimensions=dims(40, shard=(1, 2, 2)), compression=LZ4)
    st = settings(s3, prefix, [array], overwrite=True)
    st.s3 = aqz.S3Settings(endpoint=proxy.url, bucket_name=BUCKET, region=REGION)
    stream = aqz.ZarrStream(st)
    for frame in data[:20]:
        stream.append(frame)
    time.sleep(0.5)  # some layers are in the bucket
    proxy.cut()
    started = time.monotonic()
    with pytest.raises(RuntimeError):
        for frame in data[20:]:
            stream.append(frame)
        stream.close()
    assert time.monotonic() - started < 60, "the failure must come promptly"
    rows = zarr.open_array(s3.zarr_store(prefix), path="img", mode="r").shape[0]
    assert rows >= 2, "layers written before the cut stay claimed"
    np.testing.assert_array_equal(read_zarr(s3, prefix, "img", "v3"), data[:rows])


def test_an_upload_whose_creation_answer_was_lost_is_not_left_behind(credentials):
    """CreateMultipartUpload reaches the server, but its answer is lost (the
    connection resets): the client retries and gets a second upload. The
    first, which it never heard of, must not be left dangling in the bucket
    (it would hold storage until a lifecycle rule removes it)."""
    from urllib.parse import urlparse

    s3 = credentials
    proxy = s3_server.AnswerDroppingProxy(urlparse(s3.url).port, marker=b"?uploads")
    prefix = "lost-answer/store.zarr"
    data = frames(8, frame=(1024, 1024))
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                              dimensions=dims(8, frame=(1024, 1024), chunk=(4, 512, 512),
                                              shard=(2, 2, 2)))
    st = settings(s3, prefix, [array], overwrite=True)
    st.s3 = aqz.S3Settings(endpoint=proxy.url, bucket_name=BUCKET, region=REGION)
    with aqz.ZarrStream(st) as stream:
        for frame in data:
            stream.append(frame)
    assert proxy.dropped == 1, "the test must have lost one answer"
    np.testing.assert_array_equal(read_zarr(s3, prefix, "img", "v3"), data)
    assert not s3.uploads_in_progress()


def test_bands_with_interleaved_shard_rows(credentials):
    """t chunk 1 (shards 2 deep), z 5 planes (chunk 2, shards 2 deep): the unit
    of work is a band of 2 planes, a shard takes 4 bands, and the bands of the
    two z-shards interleave. An object goes up whole, after its last band;
    rows are claimed only once every object they touch is complete."""
    s3 = credentials
    prefix = "bands/store.zarr"
    sizes, chunks, shards = [0, 5, 48, 32], [1, 2, 16, 16], [2, 2, 2, 2]
    kinds = [T, S, S, S]
    dims4 = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=c,
                           shard_size_chunks=h)
             for n, k, s, c, h in zip("tzyx", kinds, sizes, chunks, shards)]
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                              dimensions=dims4, compression=LZ4)
    data = frames(5 * 5 + 2, frame=(48, 32))  # 5 rows and 2 planes of a sixth
    claimed = []
    with aqz.ZarrStream(settings(s3, prefix, [array], overwrite=True)) as stream:
        for i, frame in enumerate(data):
            stream.append(frame)
            if i % 5 == 4:
                time.sleep(0.05)
                meta = s3.get(f"{prefix}/img/zarr.json")
                import json

                claimed.append(json.loads(meta)["shape"][0])
    # objects span two rows: during acquisition rows are claimed in pairs
    assert claimed == sorted(claimed) and all(c % 2 == 0 for c in claimed), claimed
    expected = np.zeros((6 * 5, 48, 32), np.uint16)
    expected[:len(data)] = data
    np.testing.assert_array_equal(read_zarr(s3, prefix, "img", "v3"),
                                  expected.reshape(6, 5, 48, 32))
    assert not s3.uploads_in_progress()


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_banded_frames(credentials, monkeypatch, version):
    """Frames written in bands of one chunk of rows (FrameBanding.hpp; the
    threshold lowered so these are), t chunk 1, shards 2 bands deep, with a
    pyramid: an object goes up whole after its last band, every level reads
    back, no upload is left behind."""
    import pyramid_reference as pr

    monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", "1000")
    s3 = credentials
    prefix = f"banded/{version}.zarr"
    data = frames(3, frame=(100, 70))
    array = aqz.ArraySettings(output_key="img", data_type=aqz.DataType.UINT16,
                              dimensions=dims(3, frame=(100, 70), chunk=(1, 16, 32),
                                              shard=(1, 2, 2), bounded=True),
                              compression=LZ4, downsampling_method=aqz.DownsamplingMethod.MEAN)
    with aqz.ZarrStream(settings(s3, prefix, [array], version, overwrite=True)) as stream:
        for frame in data:
            stream.append(frame)
    levels = pr.plan_levels([3, 100, 70], [1, 16, 32], [1, 2, 2], [T, S, S])
    expected = pr.pyramid(data, levels, aqz.DownsamplingMethod.MEAN)
    assert len(expected) == 3
    for k, level in enumerate(expected):
        np.testing.assert_array_equal(read_zarr(s3, prefix, f"img/{k}", version), level)
    assert not s3.uploads_in_progress()
