"""The README's Python quick start runs exactly as written, and is the
program ``make quickstart`` runs (examples/python/quickstart.py, the same
text). The README's list of this library's extensions is honest: each one
works here and, when the published wheel is at hand, fails there.

The published wheel (0.10.0) is used when ``AQZ_PUBLISHED_PYTHON`` names a
Python that has it, else the benchmarks' ``benchmarks/.venv-published`` when
``make bench`` has made it; otherwise those checks are skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
QUICKSTART = ROOT / "examples" / "python" / "quickstart.py"
MAKEFILE = ROOT / "Makefile"


def readme_block(heading: str, language: str) -> str:
    """The first ```language block in the README section `heading`."""
    text = README.read_text()
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no '## {heading}' section"
    block = re.search(rf"^```{language}[ \t]*\n(.*?)^```[ \t]*$", match.group(1), re.S | re.M)
    assert block, f"README section '{heading}' has no ```{language} block"
    return block.group(1)


def run_python(python: str, code: str, cwd: Path) -> subprocess.CompletedProcess:
    script = cwd / "snippet.py"
    script.write_text(code)
    return subprocess.run(
        [python, str(script)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def published_python(*modules: str) -> str:
    """A Python with the published wheel (and `modules`), else skip."""
    python = os.environ.get("AQZ_PUBLISHED_PYTHON", "")
    if not python:
        fallback = ROOT / "benchmarks" / ".venv-published" / "bin" / "python"
        if not fallback.exists():
            pytest.skip("no published wheel: set AQZ_PUBLISHED_PYTHON, or run `make bench` once")
        python = str(fallback)
    imports = ", ".join(("acquire_zarr", "numpy") + modules)
    probe = subprocess.run(
        [
            python,
            "-c",
            f"import {imports}; from importlib.metadata import version; "
            "assert version('acquire-zarr') == '0.10.0', version('acquire-zarr')",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"{python} has no published acquire-zarr 0.10.0 with {imports}")
    return python


# ---- the quick start -------------------------------------------------------


def test_quickstart_file_is_the_readme_block():
    assert QUICKSTART.read_text() == readme_block("Python quick start", "python"), (
        "examples/python/quickstart.py must be the README's Python quick start, "
        "character for character"
    )


def test_make_quickstart_runs_that_file():
    recipe = re.search(r"^quickstart:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.M)
    assert recipe, "the Makefile has no quickstart target"
    assert "examples/python/quickstart.py" in recipe.group(1)


def test_readme_python_quick_start_runs_as_written(tmp_path):
    code = readme_block("Python quick start", "python")
    for attempt in (1, 2):  # the second run meets the store the first one left
        result = run_python(sys.executable, code, tmp_path)
        assert result.returncode == 0, f"run {attempt}:\n{result.stdout}\n{result.stderr}"
        assert result.stdout.strip().splitlines()[-1] == "(50, 1024, 1024)", result.stdout
    assert (tmp_path / "my_stream.zarr" / "camera" / "zarr.json").is_file()


def test_readme_python_quick_start_runs_on_the_published_wheel(tmp_path):
    python = published_python("zarr")
    result = run_python(python, readme_block("Python quick start", "python"), tmp_path)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


# ---- the extensions the README lists ----------------------------------------

# A stream of one small array, then one use of an extension.
SETUP = textwrap.dedent(
    """\
    import acquire_zarr as aqz
    import numpy as np

    def dims():
        return [
            aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                          chunk_size_px=4, shard_size_chunks=1),
            aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=16,
                          chunk_size_px=8, shard_size_chunks=2),
            aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=16,
                          chunk_size_px=8, shard_size_chunks=2),
        ]

    def settings():
        return aqz.StreamSettings(store_path="ext.zarr", overwrite=True,
                                  arrays=[aqz.ArraySettings(dimensions=dims(),
                                                            data_type=np.uint16)])
    """
)

EXTENSIONS = {
    "context manager": """
        with aqz.ZarrStream(settings()) as stream:
            stream.append(np.zeros((16, 16), np.uint16))
    """,
    "bytes appends": """
        stream = aqz.ZarrStream(settings())
        stream.append(bytes(512))
        stream.append(memoryview(bytearray(512)))
        stream.close()
    """,
    "ZarrStream.get_array_keys": """
        assert aqz.ZarrStream(settings()).get_array_keys() == [""]
    """,
    "single-array shorthand": """
        s = aqz.StreamSettings(store_path="ext.zarr", overwrite=True,
                               data_type=np.uint16, output_key="a", dimensions=dims())
        aqz.ZarrStream(s).close()
    """,
    "Dimension(type=...)": """
        aqz.Dimension(name="t", type=aqz.DimensionType.TIME, array_size_px=0,
                      chunk_size_px=4, shard_size_chunks=1)
    """,
    "StreamSettings(plates=...)": """
        aqz.StreamSettings(plates=[])
    """,
    "ZarrVersion.V2": """
        s = settings()
        s.version = aqz.ZarrVersion.V2
        aqz.ZarrStream(s).close()
    """,
    "exception classes": """
        assert issubclass(aqz.InvalidSettingsError, RuntimeError)
        assert issubclass(aqz.AcquireZarrError, RuntimeError)
    """,
    "__version__": """
        assert isinstance(aqz.__version__, str)
    """,
}


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
def test_listed_extension_works_here(name, tmp_path):
    result = run_python(sys.executable, SETUP + textwrap.dedent(EXTENSIONS[name]), tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
def test_listed_extension_is_not_in_the_published_wheel(name, tmp_path):
    python = published_python()
    result = run_python(python, SETUP + textwrap.dedent(EXTENSIONS[name]), tmp_path)
    assert result.returncode != 0, f"{name} works on the published wheel: not an extension"


def test_readme_lists_the_extensions():
    text = README.read_text()
    section = re.search(r"^## This library's extensions\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "README has no '## This library's extensions' section"
    for needle in [
        "with aqz.ZarrStream",
        "bytes",
        "ZarrStream.get_array_keys",
        "single-array shorthand",
        "type=",
        "plates=",
        "ZarrVersion.V2",
        "InvalidSettingsError",
        "__version__",
        "Zarr_get_last_error",
        "Zarr_get_last_status",
        "Zarr_set_log_callback",
        "ZarrVersion_2",
    ]:
        assert needle in section.group(1), f"the extensions section does not mention {needle}"
