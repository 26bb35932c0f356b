"""Settings fuzz test (issue 8): random StreamSettings, each case in a
worker child process (settings_fuzz_worker.py), generated from a seed
(settings_fuzz_gen.py).

Every case must end in one of two ways: creation is refused with the
documented exception, a message naming the field, and nothing changed on
disk; or the stream is created, written and read back exactly. A crash,
abort, hang (per-case timeout) or an out-of-memory kill of the worker is a
failure of that case, reported with the settings, and a new worker carries
on with the next case.

Environment: AQZ_FUZZ_CASES (default 1000: about 25 s on two cores),
AQZ_FUZZ_SEED (default fixed, so CI is reproducible), AQZ_FUZZ_ONLY=3,17
(rerun those case indices), AQZ_FUZZ_JOBS (workers, default 2),
AQZ_FUZZ_TIMEOUT (seconds per case), AQZ_FUZZ_REPORT=file (write every
failure there as a JSON line). `make fuzz` runs thousands.
"""

from __future__ import annotations

import collections
import json
import os
import selectors
import subprocess
import sys
import time

import pytest

import settings_fuzz_gen as gen

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "settings_fuzz_worker.py")
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
SLOWDOWN = 5 if UNDER_ASAN else 1


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


class Worker:
    """One worker process; `result()` is its answer to the case sent last."""

    def __init__(self, base: str, number: int) -> None:
        self.log_path = os.path.join(base, f"worker-{number}.stderr")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, WORKER, base], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.case = None
        self.deadline = 0.0
        ready = self._line(120 * SLOWDOWN)
        if not ready or "ready" not in json.loads(ready):
            raise RuntimeError(f"fuzz worker did not start: {self.stderr_tail()}")

    def _line(self, timeout: float):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout)
        selector.close()
        return self.process.stdout.readline() if ready else None

    def send(self, case: dict, timeout: float) -> None:
        self.case = case
        self.deadline = time.monotonic() + timeout
        self.process.stdin.write(json.dumps(case) + "\n")
        self.process.stdin.flush()

    def stderr_tail(self) -> str:
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-3000:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:  # a dead worker's pipe
                pass
        self.log.close()


def _describe_death(worker: Worker) -> str:
    code = worker.process.wait()
    if code < 0:
        how = {6: "aborted (SIGABRT)", 9: "killed (SIGKILL: out of memory?)",
               11: "crashed (SIGSEGV)", 7: "crashed (SIGBUS)"}.get(-code, f"signal {-code}")
    else:
        how = f"exited with status {code}"
    return f"the worker {how}; its stderr ends:\n{worker.stderr_tail()}"


def run_cases(cases: list, base: str, jobs: int, timeout: float):
    """Runs the cases on `jobs` workers; returns (outcome counts, failures),
    a failure being (case, what went wrong)."""
    pending = collections.deque(cases)
    idle = [Worker(base, n) for n in range(min(jobs, len(cases)) or 1)]
    busy: list = []
    outcomes: collections.Counter = collections.Counter()
    failures: list = []
    started = len(idle)
    while pending or busy:
        while pending and idle:
            worker = idle.pop()
            worker.send(pending.popleft(), timeout)
            busy.append(worker)
        selector = selectors.DefaultSelector()
        for worker in busy:
            selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
        wait = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready = [key.data for key, _ in selector.select(wait)]
        selector.close()
        for worker in list(busy):
            line = worker.process.stdout.readline() if worker in ready else None
            if line:
                result = json.loads(line)
                outcomes[result["outcome"]] += 1
                if result["problems"]:
                    failures.append((worker.case, "; ".join(result["problems"])))
                busy.remove(worker)
                idle.append(worker)
                continue
            if worker in ready:  # end of file: the worker died
                failures.append((worker.case, _describe_death(worker)))
                outcomes["crashed"] += 1
            elif time.monotonic() >= worker.deadline:
                failures.append((worker.case, f"hang: no answer within {timeout:.0f} s; "
                                 f"stderr ends:\n{worker.stderr_tail()}"))
                outcomes["hung"] += 1
            else:
                continue
            worker.stop()
            busy.remove(worker)
            idle.append(Worker(base, started))
            started += 1
    for worker in idle:
        worker.stop()
    return outcomes, failures


def _report(seed: int, failures: list, limit: int = 8) -> str:
    lines = [f"{len(failures)} fuzz case(s) failed (seed {seed}):"]
    for case, problem in failures[:limit]:
        lines += [
            f"--- case {case['index']}: mutations {case.get('mutations')}",
            f"    {problem[:3000]}",
            f"    rerun: AQZ_FUZZ_SEED={seed} AQZ_FUZZ_ONLY={case['index']} "
            f"{sys.executable} -m pytest {__file__} -q -k frames "
            f"(banded runs: seed - 1 and -k banded)",
            f"    case: {json.dumps(case)[:2500]}",
        ]
    return "\n".join(lines)


@pytest.mark.parametrize("banded", [False, True], ids=["frames", "banded"])
def test_random_settings_are_refused_cleanly_or_read_back_exactly(tmp_path, monkeypatch, banded):
    """`banded`: with ZARR_BANDED_FRAME_BYTES=1, every array whose frames are
    each their own layer is written in bands of one chunk of rows
    (FrameBanding.hpp), on other seeds and a third of the cases."""
    seed = _env_int("AQZ_FUZZ_SEED", 20261201) + (1 if banded else 0)
    only = os.environ.get("AQZ_FUZZ_ONLY")
    count = _env_int("AQZ_FUZZ_CASES", 1000 // SLOWDOWN) // (3 if banded else 1)
    indices = [int(i) for i in only.split(",")] if only else range(count)
    if banded:
        monkeypatch.setenv("ZARR_BANDED_FRAME_BYTES", "1")  # the workers inherit it
    cases = [gen.make_case(seed, i) for i in indices]
    timeout = float(os.environ.get("AQZ_FUZZ_TIMEOUT") or 10 * SLOWDOWN)
    start = time.monotonic()
    outcomes, failures = run_cases(cases, str(tmp_path), _env_int("AQZ_FUZZ_JOBS", 2), timeout)
    print(f"\nsettings fuzz: {len(cases)} cases, seed {seed}, {dict(outcomes)}, "
          f"{time.monotonic() - start:.1f} s")
    if os.environ.get("AQZ_FUZZ_REPORT"):  # every failure, one JSON line each
        with open(os.environ["AQZ_FUZZ_REPORT"], "w") as report:
            for case, problem in failures:
                report.write(json.dumps({"problem": problem, "case": case}) + "\n")
    assert not failures, _report(seed, failures)
    # Both paths must be exercised, or the generator has drifted.
    if len(cases) >= 100:
        assert outcomes["refused"] > len(cases) // 5, outcomes
        assert outcomes["created"] > len(cases) // 5, outcomes


def test_the_harness_reports_crashes_and_hangs(tmp_path):
    """A worker that aborts, or never answers, fails its case (with the
    settings) and the next case still runs."""
    crash = dict(gen.make_case(1, 0), selftest="abort")
    hang = dict(gen.make_case(1, 1), selftest="hang")
    fine = gen.make_case(1, 2)
    fine["mutations"], fine["words"] = ["m"], ["store_path"]
    fine["store"]["path"] = ""  # refused: store_path is empty
    outcomes, failures = run_cases([crash, hang, fine], str(tmp_path), 1, 3 * SLOWDOWN)
    assert outcomes == {"crashed": 1, "hung": 1, "refused": 1}, (outcomes, failures)
    assert [case["selftest"] for case, _ in failures] == ["abort", "hang"]
    assert "SIGABRT" in failures[0][1] and "hang" in failures[1][1]
