#!/usr/bin/env python3
"""A signature-checking S3 server on loopback for test_s3_client, and boto3
as an independent second reader of what the client wrote.

Started by the C++ test with its stdin and stdout on pipes:

1. Starts `moto_server` (next to this interpreter, i.e. .venv/bin) on a free
   loopback port. Fails loudly (non-zero exit, message on stderr) if it is
   missing or does not come up: the test must never pass without a server.
2. Creates an IAM user with an access key and an s3:* policy while moto still
   lets actions through unauthenticated, then turns authentication on for
   every later request (POST /moto-api/reset-auth 0, which is what
   INITIAL_NO_AUTH_ACTION_COUNT=0 means; with the variable at 0 from the
   start no user could ever be created), creates the bucket with the new key,
   and checks that a wrong secret is now refused.
3. Prints one JSON line: endpoint, region, bucket, access key id, secret.
   With them, temporary credentials (STS AssumeRole: key, secret, session
   token) of a role with the same policy.
4. Answers one JSON command per stdin line with one JSON line (see `serve`),
   until stdin closes; then stops the server.

It also runs a scripted "flaky" HTTP server (http.server) that answers each
request with the next status of a script the test sets: the client's retry
rules are tested against it, since moto cannot be made to fail on demand.
"""

import hashlib
import http.server
import json
import os
import signal
import socket
import subprocess
import struct
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions

REGION = "us-east-1"
BUCKET = "aqz-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die(message):
    print(f"s3_fixture: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def start_moto():
    moto = Path(sys.executable).parent / "moto_server"
    if not moto.exists():
        die(f"{moto} not found: run `make venv` (installs moto[server])")
    for _ in range(3):  # the free port may be taken before moto binds it
        port = free_port()
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)  # turned on after the bootstrap
        # Its log goes to a file: a pipe nobody reads fills up after a few
        # hundred requests (one access-log line each), and moto then hangs.
        log = tempfile.TemporaryFile()
        server = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,  # our own process group, stopped as one
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                return server, url
            except OSError:
                time.sleep(0.1)
        stop(server)
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-4000:])
    die("moto_server did not start")


def stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def client(service, url, key_id, secret):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1}
        ),
    )


def bootstrap(url):
    iam = client("iam", url, "bootstrap", "bootstrap")
    user = iam.create_user(UserName="aqz")["User"]
    iam.put_user_policy(
        UserName="aqz",
        PolicyName="s3-all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole"], "Resource": "*"}
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="aqz")["AccessKey"]
    role = iam.create_role(
        RoleName="aqz-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": user["Arn"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    iam.put_role_policy(
        RoleName="aqz-role",
        PolicyName="s3-all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    # Without a content type urllib says form-urlencoded, and moto reads no body.
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request, timeout=5).read()

    s3 = client("s3", url, key["AccessKeyId"], key["SecretAccessKey"])
    s3.create_bucket(Bucket=BUCKET)
    wrong = client("s3", url, key["AccessKeyId"], key["SecretAccessKey"] + "x")
    try:
        wrong.list_objects_v2(Bucket=BUCKET)
        die("moto accepted a wrong secret: signature checking is off")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "SignatureDoesNotMatch":
            die(f"unexpected refusal of a wrong secret: {e}")
    sts = client("sts", url, key["AccessKeyId"], key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="aqz")["Credentials"]
    return s3, key, session


class Flaky(http.server.BaseHTTPRequestHandler):
    """Answers request n with script[n]: an HTTP status (with an S3 error
    document when >= 400), "200error" (HTTP 200 carrying an <Error>, as S3's
    CompleteMultipartUpload may), "reset" (the connection is reset without
    an answer), or {"status": s, "code": c, "etag": e} for a chosen error code
    or ETag. Past the script's end: 200. Counts requests and connections."""

    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue answered
    lock = threading.Lock()
    script = []
    count = 0
    connections = 0
    codes = {403: "AccessDenied", 404: "NoSuchKey", 429: "SlowDown", 500: "InternalError",
             503: "SlowDown"}

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with Flaky.lock:
            Flaky.connections += 1

    def answer(self):
        length = int(self.headers.get("Content-Length", 0))
        if length:
            self.rfile.read(length)
        with Flaky.lock:
            Flaky.count += 1
            action = Flaky.script.pop(0) if Flaky.script else 200
        if action == "reset":
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.close_connection = True
            return
        if action == "200error":
            action = {"status": 200, "code": "InternalError"}
        if not isinstance(action, dict):
            action = {"status": action}
        status = action["status"]
        code = action.get("code", Flaky.codes.get(status, "Oops") if status >= 400 else None)
        body = b""
        if code:
            body = f"<Error><Code>{code}</Code><Message>scripted</Message></Error>".encode()
        elif self.command == "POST" and "uploads" in self.path:
            body = b"<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"
        elif self.command == "GET" and "list-type=2" in self.path:
            body = b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
        elif self.command == "POST" and "uploadId" in self.path:
            body = b"<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"
        self.send_response(status)
        self.send_header("ETag", action.get("etag", '"0123456789abcdef0123456789abcdef"'))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer


def start_flaky():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def serve(s3, command):
    """One command from the test. Every answer has "ok"; errors are answers."""
    op = command["op"]
    if op == "head":  # size, sha256 and ETag of an object, or exists=false
        try:
            body = s3.get_object(Bucket=BUCKET, Key=command["key"])
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return {"exists": False}
            raise
        data = body["Body"].read()
        return {
            "exists": True,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "etag": body["ETag"],
            "content_type": body.get("ContentType", ""),
        }
    if op == "get":  # an object's bytes (hex), or exists=false
        try:
            body = s3.get_object(Bucket=BUCKET, Key=command["key"])
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return {"exists": False}
            raise
        return {"exists": True, "hex": body["Body"].read().hex()}
    if op == "put":  # an object written without the client under test
        data = bytes.fromhex(command.get("hex", ""))
        s3.put_object(Bucket=BUCKET, Key=command["key"], Body=data)
        return {}
    if op == "keys":  # every key under a prefix
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=command.get("prefix", "")
        ):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return {"keys": keys}
    if op == "flaky":  # a new script for the flaky server; resets its count
        with Flaky.lock:
            Flaky.script = list(command["script"])
            Flaky.count = 0
            Flaky.connections = 0
        return {}
    if op == "flaky_count":
        with Flaky.lock:
            return {"count": Flaky.count, "connections": Flaky.connections}
    if op == "uploads":  # multipart uploads in progress under a prefix
        response = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=command.get("prefix", ""))
        return {"uploads": [u["UploadId"] for u in response.get("Uploads", [])]}
    raise ValueError(f"unknown op {op!r}")


def main():
    server, url = start_moto()
    try:
        s3, key, session = bootstrap(url)
        print(
            json.dumps(
                {
                    "endpoint": url,
                    "region": REGION,
                    "bucket": BUCKET,
                    "access_key_id": key["AccessKeyId"],
                    "secret_access_key": key["SecretAccessKey"],
                    "session": {
                        "access_key_id": session["AccessKeyId"],
                        "secret_access_key": session["SecretAccessKey"],
                        "session_token": session["SessionToken"],
                    },
                    "flaky_endpoint": start_flaky(),
                }
            ),
            flush=True,
        )
        for line in sys.stdin:
            try:
                answer = serve(s3, json.loads(line))
                answer["ok"] = True
            except Exception as e:  # reported to the test, which fails
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            print(json.dumps(answer), flush=True)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
