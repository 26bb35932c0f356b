"""Builds the write-fault shim (tests/faults/write_faults.c) and runs
stream_child.py under it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SHIM_SOURCE = HERE.parent / "faults" / "write_faults.c"
CHILD = HERE / "stream_child.py"


def build_shim(directory: Path) -> Path:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler to build the write-fault shim")
    shim = directory / "write_faults.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror",
         "-o", str(shim), str(SHIM_SOURCE), "-ldl"],
        check=True)
    return shim


def run_cases(shim: Path, cases: list, work: Path, timeout: float = 120) -> list:
    """Runs `cases` (see stream_child.run_fault_case) in one child process
    with the shim preloaded; returns one result per case."""
    config = work / "cases.json"
    config.write_text(json.dumps({"shim": str(shim), "cases": cases}))
    environment = dict(os.environ)
    # After any sanitizer runtime the test run preloads (make asan).
    environment["LD_PRELOAD"] = " ".join(
        p for p in (environment.get("LD_PRELOAD", ""), str(shim)) if p)
    done = subprocess.run(
        [sys.executable, str(CHILD), "faults", str(config)],
        capture_output=True, text=True, timeout=timeout, env=environment)
    assert done.returncode == 0, (
        f"the child died (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
