"""Runs settings fuzz cases (settings_fuzz_gen) for test_settings_fuzz.py.

Started as a child process: it reads one case per line (JSON) on stdin and
writes one result per line on the protocol pipe (fd 1 as started; the
engine's and Python's own output go to stderr). A crash, abort or hang
kills only this process; the parent reports the case and starts another.

For each case: either creating the stream is refused with a documented
exception whose message names a field, and the sandbox (the store, its
parent, an old store there) is exactly as it was; or the stream is created,
some frames of known content are appended (in pieces, past the end of a
bounded array too), it is closed, and every array is read back with
zarr-python (every fourth case also with TensorStore and a raw chunk
decoder: settings_fuzz_arrays.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import resource
import shutil
import signal
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# Address space for the interpreter and its readers plus this much: a stream
# whose buffers need more fails to allocate (and must say so) instead of
# swapping the machine. ASan reserves terabytes of shadow memory, so there
# the limit is left off.
MEMORY_HEADROOM = 1536 << 20
# Streams estimated bigger than this are only estimated: their buffers
# would not fit in MEMORY_HEADROOM next to what writing them allocates.
MAX_STREAM_BYTES = 512 << 20

# A refusal's message must name one of these (and, more precisely, one of
# the words the case's mutations declared).
FIELD_WORDS = ["store_path", "output_key", "dimension", "name", "type", "kind",
               "array_size_px", "chunk", "shard", "data_type", "dtype", "compress",
               "codec", "level", "shuffle", "downsampling", "max_levels", "is_ngff",
               "storage_dimension_order", "plate", "well", "row", "column",
               "acquisition", "path", "max_threads", "thread", "version", "scale",
               "unit", "custom", "metadata", "overwrite", "memory", "MiB", "key",
               "OME-NGFF", "arrays", "root", "directory"]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        return
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = vm * 1024 + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


sys.path.insert(0, HERE)
import numpy as np  # noqa: E402
import zarr  # noqa: E402

import acquire_zarr as aqz  # noqa: E402
from settings_fuzz_arrays import append_all, models_of, read_back  # noqa: E402

# ---------------------------------------------------------------------------
# Building the settings objects from a case
# ---------------------------------------------------------------------------


def _value(v):
    if isinstance(v, dict) and set(v) == {"enum"}:
        cls, member = v["enum"].split(".")
        return getattr(getattr(aqz, cls), member)
    if isinstance(v, dict) and set(v) == {"numpy"}:
        return getattr(np, v["numpy"])
    return v


def _array_settings(a: dict) -> "aqz.ArraySettings":
    kw = {k: _value(v) for k, v in a.items() if k not in ("dimensions", "compression")}
    kw["dimensions"] = [aqz.Dimension(**{k: _value(v) for k, v in d.items()})
                        for d in a["dimensions"]]
    if a.get("compression") is not None:
        kw["compression"] = aqz.CompressionSettings(
            **{k: _value(v) for k, v in a["compression"].items()})
    return aqz.ArraySettings(**kw)


def _plate(p: dict) -> "aqz.Plate":
    wells = []
    for w in p["wells"]:
        images = [aqz.FieldOfView(path=i["path"], acquisition_id=i.get("acquisition_id"),
                                  array_settings=_array_settings(i["array_settings"]))
                  for i in w["images"]]
        wells.append(aqz.Well(row_name=w["row_name"], column_name=w["column_name"],
                              images=images))
    return aqz.Plate(path=p["path"], name=p["name"], row_names=p["row_names"],
                     column_names=p["column_names"], wells=wells,
                     acquisitions=[aqz.Acquisition(**a) for a in p["acquisitions"]])


def build_settings(stream: dict, store_path) -> "aqz.StreamSettings":
    kw = {k: _value(stream[k]) for k in ("version", "max_threads", "overwrite")}
    if "custom_metadata" in stream:
        kw["custom_metadata"] = stream["custom_metadata"]
    kw["plates"] = [_plate(p) for p in stream.get("plates", [])]
    if stream.get("shorthand"):
        a = _array_settings(stream["arrays"][0])
        for name in ("output_key", "dimensions", "data_type", "compression",
                     "downsampling_method"):
            kw[name] = getattr(a, name)
    else:
        kw["arrays"] = [_array_settings(a) for a in stream["arrays"]]
    return aqz.StreamSettings(store_path=store_path, **kw)


# ---------------------------------------------------------------------------
# The disk: snapshots of the sandbox, an old store to overwrite or add to
# ---------------------------------------------------------------------------


def snapshot(root: str) -> dict:
    """{relative path: "dir" or (size, sha1)} of everything below root."""
    found = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            if os.path.isdir(path) and not os.path.islink(path):
                found[rel] = "dir"
            else:
                with open(path, "rb") as f:
                    data = f.read()
                found[rel] = (len(data), hashlib.sha1(data).hexdigest())
    return found


def _diff(before: dict, after: dict) -> str:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return f"added {added[:6]}, removed {removed[:6]}, changed {changed[:6]}"


_templates: dict = {}


def old_store(base: str, v2: bool) -> str:
    """A store written once per worker: array 'old' (2 frames of 7s) and a
    file that is not the engine's; copied to where a case wants one."""
    if v2 not in _templates:
        # One per worker: workers share `base`.
        path = os.path.join(base, f"template-{os.getpid()}-v{2 if v2 else 3}.zarr")
        dims = [aqz.Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=4,
                              shard_size_chunks=1)
                for n, k, s in (("t", aqz.DimensionType.TIME, 0),
                                ("y", aqz.DimensionType.SPACE, 4),
                                ("x", aqz.DimensionType.SPACE, 4))]
        settings = aqz.StreamSettings(
            store_path=path, overwrite=True,
            version=aqz.ZarrVersion.V2 if v2 else aqz.ZarrVersion.V3,
            arrays=[aqz.ArraySettings(output_key="old", data_type=np.uint16, dimensions=dims)])
        with aqz.ZarrStream(settings) as stream:
            stream.append(np.full((2, 4, 4), 7, np.uint16))
        with open(os.path.join(path, "note.txt"), "w") as f:
            f.write("not ours")
        _templates[v2] = path
    return _templates[v2]


def check_old_store(store: str, v2: bool, replaced: bool, problems: list) -> None:
    note = os.path.join(store, "note.txt")
    if replaced:
        if os.path.exists(note):
            problems.append("overwrite=True kept the old store's note.txt")
        return
    if not os.path.exists(note) or open(note).read() != "not ours":
        problems.append("overwrite=False lost or changed the old store's note.txt")
    old = zarr.open_array(os.path.join(store, "old"), mode="r", zarr_format=2 if v2 else 3)
    if old.shape != (2, 4, 4) or not np.all(old[...] == 7):
        problems.append(f"overwrite=False changed the old array: shape {old.shape}")


# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------


def _documented(error: BaseException) -> bool:
    """API.md: bad values raise a RuntimeError that is also a ValueError
    (InvalidSettingsError), other engine failures a RuntimeError
    (AcquireZarrError), wrong Python types a TypeError."""
    return type(error) in (aqz.InvalidSettingsError, aqz.AcquireZarrError, TypeError)


def _check_refusal(case: dict, error: BaseException, problems: list) -> None:
    message = str(error)
    if not _documented(error):
        problems.append(f"undocumented exception {type(error).__name__}: {message[:300]}")
    lower = message.lower()
    # What the machine cannot give (memory, threads) is not about the
    # mutated field; the message must still name what to lower.
    resource = getattr(error, "status", None) == "OutOfMemory"
    if not any(w.lower() in lower for w in FIELD_WORDS):
        problems.append(f"the message names no field: {message[:300]!r}")
    elif (case["words"] and not resource
          and not any(w.lower() in lower for w in case["words"])):
        problems.append(f"the message names none of {sorted(set(case['words']))}: "
                        f"{message[:300]!r}")
    if not case["mutations"]:
        problems.append(f"valid settings were refused: {message[:300]!r}")


def _parents(path, sandbox: str) -> set:
    """The directories between the sandbox and `path`, relative to it."""
    if path is None:
        return set()
    return {os.path.relpath(p, sandbox) for p in pathlib.Path(path).parents
            if str(p).startswith(sandbox + os.sep)}


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@dataclasses.dataclass
class Sandbox:
    """A case's directory: the working directory `work` inside it, a file
    that is not a directory, and maybe an old store at the store path."""

    dir: str
    work: str
    path: object  # the store_path as the case spells it
    resolved: object  # where it leads, or None
    inside: bool  # ... which is below `dir`
    existing: bool  # an old store was put there
    old_v2: bool


def make_sandbox(case: dict, base: str) -> Sandbox:
    sandbox = os.path.join(base, f"case-{case['index']}")
    work = os.path.join(sandbox, "work")
    os.makedirs(os.path.join(work, "sub"))
    with open(os.path.join(sandbox, "file.txt"), "w") as f:
        f.write("a file, not a directory")
    with open(os.path.join(work, "keep.txt"), "w") as f:
        f.write("the working directory's own file")
    raw = case["store"]["path"]
    path = raw.replace("{sandbox}", sandbox) if isinstance(raw, str) else raw
    resolved = None
    if isinstance(path, str) and path and "\x00" not in path:
        try:
            resolved = os.path.realpath(os.path.join(work, os.fsencode(path).decode(
                "utf-8", "surrogateescape")))
        except UnicodeEncodeError:
            resolved = None
    inside = resolved is not None and resolved.startswith(sandbox + os.sep)
    old_v2 = case["store"]["existing_v2"]
    existing = inside and case["store"]["existing"] and not os.path.lexists(resolved)
    if existing:
        try:
            os.makedirs(os.path.dirname(resolved), exist_ok=True)
            shutil.copytree(old_store(base, old_v2), resolved)
        except OSError:  # a file in the way, a name too long: the case's point
            existing = False
    if case["store"]["pathlib"] and isinstance(path, str):
        path = pathlib.Path(path)
    return Sandbox(sandbox, work, path, resolved, inside, existing, old_v2)


def check_refused(case: dict, box: Sandbox, error, before: dict, root_before: list,
                  problems: list) -> dict:
    _check_refusal(case, error, problems)
    after = snapshot(box.dir)
    if after != before:
        problems.append(f"the refused creation changed the disk: {_diff(before, after)} "
                        f"(refused with: {str(error)[:300]!r})")
    if sorted(os.listdir("/")) != root_before:
        problems.append("the refused creation changed the filesystem root")
    return {"outcome": "refused", "problems": problems, "message": str(error)[:500]}


def check_created(case: dict, box: Sandbox, stream, settings, overwrite: bool, before: dict,
                  rng, problems: list) -> dict:
    version = "v2" if settings.version == aqz.ZarrVersion.V2 else "v3"
    models = models_of(settings, version, rng)
    append_all(stream, models, rng, problems)
    stream.close()
    if not box.inside:
        problems.append(f"a store outside the sandbox was accepted: {box.path!r}")
        return {"outcome": "created", "problems": problems}
    # The full check (TensorStore, raw chunks, group documents) for a
    # quarter of the cases; not where TensorStore cannot open the path (not
    # UTF-8) or an old store of the other version shares the groups.
    mixed = box.existing and not overwrite and box.old_v2 != (version == "v2")
    full = case["index"] % 4 == 0 and _utf8(box.resolved) and not mixed
    for i, m in enumerate(models):
        read_back(box.resolved, m, full=full and i == 0, problems=problems)
    if box.existing:
        check_old_store(box.resolved, box.old_v2, overwrite, problems)
    # Nothing outside the store changed, but for its new parent directories.
    ignored = _parents(box.resolved, box.dir)

    def outside(tree: dict) -> dict:
        return {k: v for k, v in tree.items() if k not in ignored
                and not os.path.join(box.dir, k).startswith(box.resolved)}

    after = snapshot(box.dir)
    if outside(after) != outside(before):
        problems.append(f"files outside the store changed: {_diff(outside(before), outside(after))}")
    return {"outcome": "created", "problems": problems}


def run_case(case: dict, base: str) -> dict:
    problems: list = []
    box = make_sandbox(case, base)
    stream_case = case["stream"]
    if not box.inside:
        # The filesystem root, the working directory's parents...: with
        # overwrite a regression would remove what is there, so only ever
        # without it (the refusal is what is tested).
        stream_case = dict(stream_case, overwrite=False)
    root_before = sorted(os.listdir("/"))
    before = snapshot(box.dir)
    rng = np.random.default_rng(case["data_seed"])
    os.chdir(box.work)
    try:
        estimate_error = None
        try:
            settings = build_settings(stream_case, box.path)
            try:
                if settings.get_maximum_memory_usage() > MAX_STREAM_BYTES:
                    return {"outcome": "estimated", "problems": problems}
            except aqz.AcquireZarrError as error:
                estimate_error = error
                # An estimate is arithmetic: out of memory there means it
                # allocates what it should only count.
                if error.status == "OutOfMemory":
                    problems.append(f"get_maximum_memory_usage() ran out of memory: {error}")
            stream = aqz.ZarrStream(settings)
        except Exception as error:  # noqa: BLE001 - which one is the test
            return check_refused(case, box, error, before, root_before, problems)
        if estimate_error is not None:  # it validates the same settings
            problems.append(f"the estimate refused ({estimate_error}) but creation succeeded")
        return check_created(case, box, stream, settings, bool(stream_case["overwrite"]),
                             before, rng, problems)
    except AssertionError:
        problems.append(f"read-back check failed: {traceback.format_exc()[-1500:]}")
        return {"outcome": "created", "problems": problems}
    except Exception:  # noqa: BLE001 - reported with the case
        problems.append(f"unexpected exception: {traceback.format_exc()[-1500:]}")
        return {"outcome": "error", "problems": problems}
    finally:
        os.chdir(base)
        shutil.rmtree(box.dir, ignore_errors=True)


def main() -> None:
    base = os.path.realpath(sys.argv[1])
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # nothing else may write on the protocol pipe
    _limit_memory()
    protocol.write(json.dumps({"ready": os.getpid()}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        case = json.loads(line)
        if case.get("selftest") == "abort":  # test_settings_fuzz checks its harness
            os.abort()
        if case.get("selftest") == "hang":
            while True:
                signal.pause()
        result = run_case(case, base)
        protocol.write(json.dumps(result) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
