"""A second, independent S3 implementation for the S3 tests: OpenStack Swift
(Debian's swift-proxy, swift-object, swift-container, swift-account) as a
single-node all-in-one under a temporary directory, its proxy speaking S3
through the `s3api` middleware with `tempauth` checking every signature.

start() builds it and returns a SwiftServer; stop() takes it all down:

- one directory (removed by stop()) holds swift.conf, the rings, the four
  server configs, the launcher, the logs and the storage device; the device
  directory must take user xattrs (Swift keeps object metadata in them), which
  is checked first, so ext4 /tmp works and a tmpfs without xattrs is refused
  with a message saying so;
- account, container and object rings are built with swift-ring-builder:
  part power 6, one replica, one device (`d1`) on the loopback port of the
  server, region 1 zone 1;
- each server runs in the foreground (`workers = 0`) as the current user, in
  its own session, with Debian's /usr/bin/python3: a small launcher points
  Swift at our swift.conf (not /etc/swift) and calls run_wsgi, as the
  swift-*-server scripts do;
- the proxy pipeline has s3api (location us-east-1, so SigV4's region must be
  us-east-1) before tempauth (user test:tester with secret KEY), bulk and slo
  (s3api's multipart uploads are SLO manifests) and account autocreation;
- the bucket is created with boto3 through the proxy, which also shows that a
  correctly signed request is accepted, and a request signed with a wrong
  secret is checked to be refused (so the signatures really are checked).

If the Swift packages are not installed, start() raises SwiftUnavailable
naming them and the install command (`make deps` installs them).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("swift-proxy", "swift-object", "swift-container", "swift-account")
PYTHON = "/usr/bin/python3"  # Debian's: python3-swift lives in its dist-packages
RING_BUILDER = "/usr/bin/swift-ring-builder"

REGION = "us-east-1"  # s3api's `location`; SigV4 scopes must name it exactly
BUCKET = "aqz-swift"
ACCOUNT, USER, SECRET = "test", "tester", "aqz-swift-secret"
KEY_ID = f"{ACCOUNT}:{USER}"  # tempauth's S3 access key is "account:user"

STARTUP_TIMEOUT_S = 30.0

LAUNCHER = """\
import sys
swift_dir, conf, section = sys.argv[1:4]
from swift.common import utils
utils.set_swift_dir(swift_dir)  # swift.conf (hash prefix) from here, not /etc/swift
from swift.common import storage_policy
storage_policy.reload_storage_policies()
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(conf, section, verbose=True))
"""


class SwiftUnavailable(RuntimeError):
    pass


@dataclass
class SwiftServer:
    url: str
    key_id: str
    secret: str
    bucket: str
    region: str
    root: Path
    boto: object = None  # a boto3 S3 client with the key
    processes: dict = field(default_factory=dict)  # name -> Popen

    def keys(self, prefix: str = "") -> list:
        pages = self.boto.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.boto.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def download(self, prefix: str, target: Path) -> list:
        """Every object under `prefix` into `target` (keys below the prefix
        become paths below target); returns the keys."""
        keys = self.keys(prefix)
        for key in keys:
            path = target / key[len(prefix):].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.get(key))
        return keys

    def uploads_in_progress(self) -> list:
        return self.boto.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


def boto_client(url: str, key_id: str, secret: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=url, region_name=REGION, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))


def check_installed() -> None:
    missing = []
    for pkg in PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                           capture_output=True, text=True)
        if r.returncode != 0 or "ok installed" not in r.stdout:
            missing.append(pkg)
    missing += [path for path in (RING_BUILDER, PYTHON) if not os.access(path, os.X_OK)]
    if missing:
        raise SwiftUnavailable(
            f"OpenStack Swift is not installed (missing: {' '.join(missing)}); install it "
            f"with `make deps` or `apt-get install --no-install-recommends {' '.join(PACKAGES)}`")


def takes_user_xattrs(directory: Path) -> bool:
    probe = directory / ".xattr-probe"
    try:
        probe.write_bytes(b"")
        os.setxattr(probe, "user.swift.probe", b"1")
        return os.getxattr(probe, "user.swift.probe") == b"1"
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


def free_ports(n: int) -> list:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _write_configs(root: Path, ports: dict) -> None:
    user = getpass.getuser()
    (root / "swift.conf").write_text(
        "[swift-hash]\n"
        "swift_hash_path_prefix = aqz-prefix\n"
        "swift_hash_path_suffix = aqz-suffix\n\n"
        "[storage-policy:0]\nname = Policy-0\ndefault = yes\n")
    common = (
        "[DEFAULT]\n"
        f"bind_ip = 127.0.0.1\nbind_port = {{port}}\nworkers = 0\nuser = {user}\n"
        f"swift_dir = {root}\ndevices = {root / 'srv'}\nmount_check = false\n"
        "disable_fallocate = true\nlog_level = INFO\n\n")
    for name in ("account", "container", "object"):
        (root / f"{name}-server.conf").write_text(
            common.format(port=ports[name])
            + f"[pipeline:main]\npipeline = {name}-server\n\n"
            f"[app:{name}-server]\nuse = egg:swift#{name}\n")
    (root / "proxy-server.conf").write_text(
        common.format(port=ports["proxy"])
        + "[pipeline:main]\n"
        "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats"
        " s3api tempauth bulk copy slo dlo proxy-logging proxy-server\n\n"
        "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\n"
        "[filter:s3api]\nuse = egg:swift#s3api\n"
        f"location = {REGION}\n\n"
        "[filter:tempauth]\nuse = egg:swift#tempauth\n"
        f"user_{ACCOUNT}_{USER} = {SECRET} .admin\n\n"
        # No memcached: tempauth needs the middleware's client object, and the
        # s3api path never finds a token in it; it asks an unused port.
        "[filter:cache]\nuse = egg:swift#memcache\n"
        f"memcache_servers = 127.0.0.1:{ports['memcache']}\n\n"
        "[filter:catch_errors]\nuse = egg:swift#catch_errors\n\n"
        "[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n"
        "[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n"
        "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n"
        "[filter:listing_formats]\nuse = egg:swift#listing_formats\n\n"
        "[filter:bulk]\nuse = egg:swift#bulk\n\n"
        "[filter:copy]\nuse = egg:swift#copy\n\n"
        "[filter:slo]\nuse = egg:swift#slo\n\n"
        "[filter:dlo]\nuse = egg:swift#dlo\n")


RINGS = """\
import runpy, sys
# swift-ring-builder itself, run once per command in this one process: each
# run of the script alone is most of a second of Python start-up.
for line in sys.stdin.read().splitlines():
    sys.argv[:] = line.split("\\t")  # in place: ringbuilder holds the list
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as e:
        code = e.code or 0
    # rebalance exits 1 for warnings (e.g. "balance is not optimal").
    if code not in (0, 1):
        sys.exit("%s failed (%s)" % (" ".join(sys.argv), code))
"""


def _build_rings(root: Path, ports: dict) -> None:
    """Account, container and object rings: part power 6, one replica, one
    device d1 on the server's port."""
    commands = []
    for name in ("account", "container", "object"):
        builder = str(root / f"{name}.builder")
        for args in (["create", "6", "1", "1"],
                     ["add", f"r1z1-127.0.0.1:{ports[name]}/d1", "1"], ["rebalance"]):
            commands.append("\t".join([RING_BUILDER, builder, *args]))
    r = subprocess.run([PYTHON, "-c", RINGS], input="\n".join(commands), cwd=root,
                       capture_output=True, text=True, timeout=60)
    missing = [n for n in ("account", "container", "object")
               if not (root / f"{n}.ring.gz").exists()]
    if r.returncode != 0 or missing:
        raise RuntimeError(f"swift-ring-builder failed ({r.returncode}; no ring for "
                           f"{missing}): {r.stdout}{r.stderr}")


def _wait_port(port: int, process, name: str, server: SwiftServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"swift {name}-server exited ({process.returncode}):\n"
                               + server.log(name))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"swift {name}-server did not listen on {port}:\n" + server.log(name))


def start(base: Path | None = None) -> SwiftServer:
    check_installed()
    candidates = [Path(base)] if base else [Path(tempfile.gettempdir()),
                                            Path(__file__).resolve().parents[2] / "build"]
    parent = next((d for d in candidates if d.is_dir() and takes_user_xattrs(d)), None)
    if parent is None:
        raise SwiftUnavailable("Swift needs user xattrs for its storage, and none of "
                               f"{[str(d) for d in candidates]} takes them")
    root = Path(tempfile.mkdtemp(prefix="aqz-swift-", dir=parent))
    (root / "srv" / "d1").mkdir(parents=True)
    names = ("account", "container", "object", "proxy")
    ports = dict(zip((*names, "memcache"), free_ports(5)))
    url = f"http://127.0.0.1:{ports['proxy']}"
    server = SwiftServer(url, KEY_ID, SECRET, BUCKET, REGION, root)
    try:
        _write_configs(root, ports)
        _build_rings(root, ports)
        (root / "launch.py").write_text(LAUNCHER)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTHON", "VIRTUAL_ENV", "AWS_", "LD_PRELOAD",
                                         "ASAN_", "UBSAN_"))}
        for name in names:
            with open(root / f"{name}.log", "wb") as log:
                server.processes[name] = subprocess.Popen(
                    [PYTHON, str(root / "launch.py"), str(root),
                     str(root / f"{name}-server.conf"), f"{name}-server"],
                    cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for name in names:
            _wait_port(ports[name], server.processes[name], name, server, deadline)
        server.boto = boto_client(url, KEY_ID, SECRET)
        server.boto.create_bucket(Bucket=BUCKET)
        _check_signatures_checked(url)
        return server
    except BaseException:
        stop(server)
        raise


def _check_signatures_checked(url: str) -> None:
    from botocore.exceptions import ClientError

    try:
        boto_client(url, KEY_ID, "not-the-secret").list_objects_v2(Bucket=BUCKET)
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 403:
            return
        raise
    raise RuntimeError("swift s3api accepted a request signed with a wrong secret")


def stop(server: SwiftServer, keep: bool = False) -> None:
    """Kill the four servers (by their own pids; what they stored is thrown
    away, and a SIGTERM'd Swift server lingers over its idle connections)
    and remove the directory unless `keep`."""
    for process in server.processes.values():
        if process.poll() is None:
            process.kill()
    for process in server.processes.values():
        process.wait()
    if not keep:
        shutil.rmtree(server.root, ignore_errors=True)
