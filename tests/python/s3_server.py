"""A real S3 server on loopback for the S3 tests: moto_server with signature
checking on (see tests/cpp/s3_fixture.py, shared with the C++ client test),
an IAM user's key for the streams, and boto3 and zarr-python (s3fs) as the
independent readers."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cpp"))

import s3_fixture  # noqa: E402

BUCKET = s3_fixture.BUCKET
REGION = s3_fixture.REGION


@dataclass
class S3Server:
    url: str
    key_id: str
    secret: str
    boto: object  # a boto3 S3 client with the key

    def keys(self, prefix: str = "") -> list:
        pages = self.boto.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.boto.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def uploads_in_progress(self) -> list:
        return self.boto.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])

    def zarr_store(self, prefix: str):
        """A zarr-python store on `prefix` through s3fs (fsspec)."""
        import zarr.storage

        return zarr.storage.FsspecStore.from_url(
            f"s3://{BUCKET}/{prefix}", read_only=True,
            storage_options={"key": self.key_id, "secret": self.secret,
                             "client_kwargs": {"endpoint_url": self.url,
                                               "region_name": REGION}})


def start():
    server, url = s3_fixture.start_moto()
    try:
        boto, key, _ = s3_fixture.bootstrap(url)
    except BaseException:
        s3_fixture.stop(server)
        raise
    return server, S3Server(url, key["AccessKeyId"], key["SecretAccessKey"], boto)


def stop(server) -> None:
    s3_fixture.stop(server)


def close_quietly(*sockets) -> None:
    """Closes the sockets of a relayed connection; either may be closed already."""
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass


class CuttableProxy:
    """A TCP proxy to the server that the test can cut: from cut() on, every
    connection is reset and new ones are refused, as when the server dies;
    the server itself (and what it stored) stays, for the check."""

    def __init__(self, target_port: int):
        import socket
        import threading

        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = []
        self.lock = threading.Lock()
        self.alive = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                if not self.alive:
                    client.close()
                    upstream.close()
                    return
                self.connections += [client, upstream]
            self._relay(client, upstream)

    def _relay(self, client, upstream):
        """Carries one connection both ways (a thread each)."""
        import threading

        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        close_quietly(source, target)

    def cut(self):
        import socket
        import struct

        with self.lock:
            self.alive = False
            self.listener.close()
            for s in self.connections:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()
                except OSError:
                    pass


class AnswerDroppingProxy(CuttableProxy):
    """A proxy that lets the server carry out the first `drops` requests
    whose request line contains `marker`, but never delivers their answers:
    it resets the client's connection instead, as a network that fails after
    the request arrived. (Requests on one connection are sequential, so the
    answer that follows such a request is its answer.)"""

    def __init__(self, target_port: int, marker: bytes, drops: int = 1):
        self.marker = marker
        self.drops = drops
        self.dropped = 0
        super().__init__(target_port)

    def _relay(self, client, upstream):
        import threading

        state = {"drop_answer": False}
        threading.Thread(target=self._requests, args=(client, upstream, state),
                         daemon=True).start()
        threading.Thread(target=self._answers, args=(upstream, client, state),
                         daemon=True).start()

    def _requests(self, client, upstream, state):
        try:
            while data := client.recv(65536):
                line = data.split(b"\r\n", 1)[0]
                with self.lock:
                    if self.marker in line and self.dropped < self.drops:
                        self.dropped += 1
                        state["drop_answer"] = True
                upstream.sendall(data)
        except OSError:
            pass

    def _answers(self, upstream, client, state):
        import socket
        import struct

        try:
            while data := upstream.recv(65536):
                if state["drop_answer"]:
                    # The server has done it; the client never hears of it.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                    break
                client.sendall(data)
        except OSError:
            pass
        close_quietly(client, upstream)
