"""What the benchmark scripts share: a case runs in a child process of its own (so that its
peak RSS is its own), which prints its result as one marked line of JSON; and before a case,
memory is warmed up (see warm_memory). Standard library only: the children run in other
venvs too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: The prefix of the line a child prints its result on.
MARK = "@@RESULT "


def result_of(stdout: str, mark: str = MARK) -> dict | None:
    """The result a child printed (the first marked line), or None."""
    for line in stdout.splitlines():
        if line.startswith(mark):
            return json.loads(line[len(mark):])
    return None


def run_child(script: str, python: Path, mode: str, cfg: dict, timeout: float = 1800) -> dict:
    """Runs `script mode <cfg as JSON>` in `python` and returns its result; raises
    RuntimeError (with the end of its stderr) when it printed none."""
    proc = subprocess.run([str(python), script, mode, json.dumps(cfg)],
                          capture_output=True, text=True, timeout=timeout)
    result = result_of(proc.stdout)
    if result is None:
        raise RuntimeError(f"{python} {mode} exited {proc.returncode}: {proc.stderr[-1500:]}")
    return result


def warm_memory(gib: float) -> None:
    """Touch and free `gib` GiB in a throwaway process. On this VM, memory the guest has
    not used for a while is slow to touch again (the host backs it anew: a 3 GiB tmpfs write
    runs at ~1.0 GB/s cold and ~3.1 GB/s right after another), so without this the case that
    happens to get cold memory loses up to half its throughput, whatever the writer does
    (benchmarks/README.md, "Noise from the VM's memory")."""
    if gib > 0:
        subprocess.run([sys.executable, "-c", f"b = bytearray(b'\\1') * {int(gib * 2**30)}"],
                       check=True)
