"""Where engine log lines go from Python.

The module installs the engine's log callback, which replaces stderr: every
line goes to the ``logging`` logger ``"acquire_zarr"``, which has only a
``NullHandler``. So by default nothing is printed (a failed ``ZarrStream``
shows its message once, in the exception); an application that configures
logging sees the lines through its handlers.

Each case runs in a subprocess so that file descriptor 2 itself is checked,
not only what Python writes to ``sys.stderr``.
"""

import logging
import subprocess
import sys
import textwrap

import pytest

import acquire_zarr as aqz

# A stream whose creation fails: chunk_size_px 0 on x.
PRELUDE = """
import logging, sys
import acquire_zarr as aqz

def settings(store, chunk_x=0, version=aqz.ZarrVersion.V3):
    return aqz.StreamSettings(
        store_path=store,
        overwrite=True,
        version=version,
        arrays=[aqz.ArraySettings(data_type="uint16", dimensions=[
            aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                          chunk_size_px=1, shard_size_chunks=1),
            aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=4,
                          chunk_size_px=4, shard_size_chunks=1),
            aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=4,
                          chunk_size_px=chunk_x, shard_size_chunks=1),
        ])],
    )
"""

MESSAGE = "chunk_size_px is 0"


def _run(tmp_path, body: str) -> subprocess.CompletedProcess:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_failed_creation_prints_nothing_by_default(tmp_path):
    r = _run(
        tmp_path,
        """
        try:
            aqz.ZarrStream(settings("out.zarr"))
        except RuntimeError as e:
            print("raised:", e)
        """,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", f"printed to stderr: {r.stderr!r}"
    assert "raised:" in r.stdout and MESSAGE in r.stdout, r.stdout
    assert not (tmp_path / "out.zarr").exists()


def test_uncaught_failure_shows_the_message_once(tmp_path):
    r = _run(tmp_path, 'aqz.ZarrStream(settings("out.zarr"))\n')
    assert r.returncode != 0
    assert "Traceback" in r.stderr
    assert r.stderr.count(MESSAGE) == 1, r.stderr
    assert "acquire-zarr:" not in r.stderr, "the engine printed its own line"


def test_basic_config_shows_engine_errors_through_logging(tmp_path):
    r = _run(
        tmp_path,
        """
        logging.basicConfig(format="%(levelname)s|%(name)s|%(message)s")
        try:
            aqz.ZarrStream(settings("out.zarr"))
        except RuntimeError as e:
            print("raised:", e)
        """,
    )
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line]
    errors = [line for line in lines if line.startswith("ERROR|acquire_zarr|")]
    assert errors, f"no error through logging: {r.stderr!r}"
    assert any("chunk" in line.lower() for line in errors), errors
    # Only logging's lines: the engine printed none of its own.
    assert all("|acquire_zarr|" in line for line in lines), lines
    assert MESSAGE in r.stdout, r.stdout


def test_warnings_of_a_working_stream(tmp_path):
    """Zarr v2 is deprecated: a warning, silent by default, in logging when
    configured; the stream works either way."""
    body = """
        s = aqz.ZarrStream(settings("out.zarr", chunk_x=4, version=aqz.ZarrVersion.V2))
        s.append(bytes(32))
        s.close()
        print("ok")
        """
    quiet = _run(tmp_path, body)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "", quiet.stderr
    assert quiet.stdout.strip() == "ok"

    loud = _run(tmp_path, 'logging.basicConfig(format="%(levelname)s|%(name)s|%(message)s")\n' + textwrap.dedent(body))
    assert loud.returncode == 0, loud.stderr
    assert any(
        line.startswith("WARNING|acquire_zarr|") and "deprecated" in line.lower()
        for line in loud.stderr.splitlines()
    ), loud.stderr


def test_logger_has_a_null_handler():
    logger = logging.getLogger("acquire_zarr")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert logger.propagate, "records must reach the application's handlers"


def test_lines_reach_an_application_handler(tmp_path):
    """In-process: a handler on the root logger receives the engine's error
    (and the exception still carries it)."""
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        aqz.set_log_level(aqz.LogLevel.ERROR)
        bad = aqz.StreamSettings(
            store_path=str(tmp_path / "x.zarr"),
            arrays=[
                aqz.ArraySettings(
                    dimensions=[
                        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, chunk_size_px=1, shard_size_chunks=1),
                        aqz.Dimension(name="y", array_size_px=4, chunk_size_px=4, shard_size_chunks=1),
                        aqz.Dimension(name="x", array_size_px=4, chunk_size_px=0, shard_size_chunks=1),
                    ]
                )
            ],
        )
        with pytest.raises(RuntimeError, match=MESSAGE):
            aqz.ZarrStream(bad)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    ours = [r for r in records if r.name == "acquire_zarr"]
    assert any(r.levelno == logging.ERROR for r in ours), [(r.levelname, r.getMessage()) for r in records]
