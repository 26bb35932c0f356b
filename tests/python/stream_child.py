"""Streams a known sequence of frames in a child process, for the tests that
fail writes (test_fault_injection.py) or kill the writer (test_kill.py).

    python stream_child.py faults CONFIG.json   run each case, print results
    python stream_child.py kill CONFIG.json     stream one store; print "ready"
                                                once it exists, "done" at the end

A case's frames and settings come from `claims.py`, so that the parent can
build the same numpy reference and check what the store claims.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import claims  # noqa: E402

import acquire_zarr as aqz  # noqa: E402


def run_fault_case(shim, case: dict) -> dict:
    config = claims.StreamConfig(**case["config"])
    os.environ.update(config.environment())
    shim.aqz_faults_filter(case["store"].encode())
    shim.aqz_faults_arm(
        case["at"], case["count"], getattr(errno, case["errno"]), int(case["partial"])
    )
    result = {"created": False, "appended": 0, "append_error": None, "close_error": None}
    try:
        stream = aqz.ZarrStream(config.settings(case["store"]))
    except RuntimeError as error:
        result["create_error"] = str(error)
        return finish(shim, result)
    result["created"] = True
    for i in range(config.frames):
        try:
            stream.append(config.frame(i))
        except RuntimeError as error:
            result["append_error"] = str(error)
            break
        result["appended"] = i + 1
    try:
        stream.close()
    except RuntimeError as error:
        result["close_error"] = str(error)
    return finish(shim, result)


def finish(shim, result: dict) -> dict:
    result["calls"] = shim.aqz_faults_calls()
    result["failed"] = shim.aqz_faults_failed()
    shim.aqz_faults_arm(0, 0, 0, 0)
    return result


def faults(config_file: str) -> None:
    cases = json.loads(Path(config_file).read_text())
    shim = ctypes.CDLL(cases["shim"])  # already loaded by LD_PRELOAD
    shim.aqz_faults_filter.argtypes = [ctypes.c_char_p]
    shim.aqz_faults_arm.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_int, ctypes.c_int]
    shim.aqz_faults_calls.restype = ctypes.c_long
    shim.aqz_faults_failed.restype = ctypes.c_long
    results = [run_fault_case(shim, case) for case in cases["cases"]]
    print(json.dumps(results))


def kill(config_file: str) -> None:
    case = json.loads(Path(config_file).read_text())
    config = claims.StreamConfig(**case["config"])
    os.environ.update(config.environment())
    frames = [config.frame(i) for i in range(config.frames)]
    stream = aqz.ZarrStream(config.settings(case["store"]))
    print("ready", flush=True)
    for i, frame in enumerate(frames):
        stream.append(frame)
        if case["pause_every"] and (i + 1) % case["pause_every"] == 0:
            time.sleep(case["pause_s"])
    stream.close()
    print("done", flush=True)


if __name__ == "__main__":
    {"faults": faults, "kill": kill}[sys.argv[1]](sys.argv[2])
