"""Python settings documents are the C loader's and dumper's (which match the
published library): StreamSettings.from_file/from_string/from_dict read what
ZarrStreamSettings_load_from_* reads, to_json/to_yaml/to_file/to_dict write
what ZarrStreamSettings_dump_* writes.

The C side is called through ctypes on the shared library of the CMake build
(build/default, or $AQZ_C_LIBRARY); those tests are skipped without it.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
from pathlib import Path

import pytest

import acquire_zarr as aqz

ROOT = Path(__file__).resolve().parents[2]

V1_MULTISCALE = """\
version: 1
store_path: v1.zarr
arrays:
  - output_key: pyramid
    data_type: uint16
    multiscale: true
    dimensions:
      - {name: t, type: time, array_size_px: 0, chunk_size_px: 1, shard_size_chunks: 1}
      - {name: y, type: space, array_size_px: 64, chunk_size_px: 16, shard_size_chunks: 1}
      - {name: x, type: space, array_size_px: 64, chunk_size_px: 16, shard_size_chunks: 1}
  - output_key: flat
    data_type: uint8
    multiscale: false
    dimensions:
      - {name: y, type: space, array_size_px: 8, chunk_size_px: 8, shard_size_chunks: 1}
      - {name: x, type: space, array_size_px: 8, chunk_size_px: 8, shard_size_chunks: 1}
"""

NUMBERS_FOR_NAMES = """\
store_path: hcs.zarr
plates:
  - path: plate
    row_names: [A]
    column_names: [1, 2]
    wells:
      - row_name: A
        column_name: 2
        images:
          - path: 0
            array:
              data_type: uint8
              dimensions:
                - {name: y, type: space, array_size_px: 8, chunk_size_px: 8, shard_size_chunks: 1}
                - {name: x, type: space, array_size_px: 8, chunk_size_px: 8, shard_size_chunks: 1}
"""

NUMBERS_AS_STRINGS = """\
{"store_path": "s.zarr", "max_threads": "2", "arrays": [{"data_type": "uint16",
 "dimensions": [
  {"name": "t", "type": "time", "array_size_px": "0", "chunk_size_px": "1", "shard_size_chunks": "1"},
  {"name": "x", "type": "space", "array_size_px": "16", "chunk_size_px": "8", "shard_size_chunks": "2",
   "scale": "0.5"}]}]}
"""


def _dim(name, kind, size, chunk, shard, **kw):
    return aqz.Dimension(name=name, kind=kind, array_size_px=size, chunk_size_px=chunk,
                         shard_size_chunks=shard, **kw)


def _rich_settings() -> aqz.StreamSettings:
    T, S, C = aqz.DimensionType.TIME, aqz.DimensionType.SPACE, aqz.DimensionType.CHANNEL
    a1 = aqz.ArraySettings(
        output_key="g/one",
        data_type=aqz.DataType.UINT16,
        dimensions=[_dim("t", T, 0, 4, 2), _dim("c", C, 3, 1, 3),
                    _dim("y", S, 48, 16, 3, unit="micrometer", scale=0.25),
                    _dim("x", S, 64, 16, 2, unit="micrometer", scale=0.25)],
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                                            codec=aqz.CompressionCodec.BLOSC_ZSTD, level=3, shuffle=2),
        downsampling_method=aqz.DownsamplingMethod.MEAN,
        max_levels=2,
        storage_dimension_order=["t", "c", "x", "y"],
    )
    a2 = aqz.ArraySettings(
        output_key="two", data_type=aqz.DataType.FLOAT64,
        dimensions=[_dim("y", S, 48, 16, 3), _dim("x", S, 64, 16, 2)],
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD,
                                            codec=aqz.CompressionCodec.ZSTD, level=7),
        is_ngff=True,
    )
    fov = aqz.ArraySettings(data_type=aqz.DataType.UINT8,
                            dimensions=[_dim("y", S, 8, 8, 1), _dim("x", S, 8, 8, 1)])
    plate = aqz.Plate(
        path="plate", name="My plate", row_names=["A", "B"], column_names=["1", "2"],
        acquisitions=[aqz.Acquisition(id=0, name="scan", start_time=1343731272000),
                      aqz.Acquisition(id=1, description="again", end_time=1343731299000)],
        wells=[aqz.Well(row_name="A", column_name="1", images=[
            aqz.FieldOfView(path="fov1", acquisition_id=0, array_settings=fov),
            aqz.FieldOfView(path="fov2", array_settings=fov)])],
    )
    return aqz.StreamSettings(
        store_path="rich.zarr", version=aqz.ZarrVersion.V2, max_threads=3, overwrite=True,
        s3=aqz.S3Settings(endpoint="http://localhost:9000", bucket_name="bucket", region="us-east-1"),
        arrays=[a1, a2], plates=[plate],
    )


# --------------------------------------------------------------------------
# The C library, through ctypes
# --------------------------------------------------------------------------


class _CLibrary:
    SETTINGS_SIZE = 4096  # larger than ZarrStreamSettings: the tests never look inside

    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        self.libc = ctypes.CDLL(None)
        self.lib.ZarrStreamSettings_load_from_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.lib.ZarrStreamSettings_load_from_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.lib.ZarrStreamSettings_dump_to_string.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
        self.lib.ZarrStreamSettings_destroy_loaded.argtypes = [ctypes.c_void_p]
        self.lib.Zarr_get_last_error.restype = ctypes.c_char_p
        self.libc.free.argtypes = [ctypes.c_void_p]

    def _load(self, settings, text: str = None, path: str = None):
        if path is not None:
            status = self.lib.ZarrStreamSettings_load_from_file(settings, os.fsencode(path))
        else:
            status = self.lib.ZarrStreamSettings_load_from_string(settings, text.encode())
        if status != 0:
            raise ValueError(self.lib.Zarr_get_last_error().decode())

    def reload(self, text: str = None, fmt: str = "json", path: str = None) -> str:
        """Load a document with the C loader and dump it again."""
        settings = ctypes.create_string_buffer(self.SETTINGS_SIZE)
        self._load(settings, text, path)
        try:
            out = ctypes.c_void_p()
            status = self.lib.ZarrStreamSettings_dump_to_string(
                settings, ctypes.byref(out), 1 if fmt == "json" else 0)
            assert status == 0, self.lib.Zarr_get_last_error().decode()
            try:
                return ctypes.string_at(out).decode()
            finally:
                self.libc.free(out)
        finally:
            self.lib.ZarrStreamSettings_destroy_loaded(settings)

    def refusal(self, text: str) -> str:
        settings = ctypes.create_string_buffer(self.SETTINGS_SIZE)
        with pytest.raises(ValueError) as e:
            self._load(settings, text)
        return str(e.value)


@pytest.fixture(scope="module")
def clib() -> _CLibrary:
    path = os.environ.get("AQZ_C_LIBRARY") or str(ROOT / "build" / "default" / "libacquire_zarr.so")
    if not os.path.exists(path):
        pytest.skip(f"no C library at {path} (build it with cmake, or set AQZ_C_LIBRARY)")
    return _CLibrary(path)


# --------------------------------------------------------------------------
# What the published Python package reads
# --------------------------------------------------------------------------


def test_version_1_multiscale_is_migrated():
    s = aqz.StreamSettings.from_string(V1_MULTISCALE)
    pyramid, flat = s.arrays
    assert pyramid.output_key == "pyramid" and pyramid.is_ngff is True
    assert pyramid.downsampling_method == aqz.DownsamplingMethod.DECIMATE
    assert flat.is_ngff is False and flat.downsampling_method is None
    # Written back as version 2, with is_ngff.
    d = s.to_dict()
    assert d["version"] == 2
    assert d["arrays"][0]["is_ngff"] is True and "multiscale" not in d["arrays"][0]
    assert d["arrays"][0]["downsampling_method"] == "decimate"
    assert aqz.StreamSettings.from_dict(d) == s


def test_version_1_method_given_is_kept():
    text = V1_MULTISCALE.replace("    multiscale: true\n", "    multiscale: true\n    downsampling_method: max\n")
    assert aqz.StreamSettings.from_string(text).arrays[0].downsampling_method == aqz.DownsamplingMethod.MAX


def test_version_mixups_are_refused_naming_field_and_line():
    bad = V1_MULTISCALE.replace("multiscale: false", "is_ngff: false")
    with pytest.raises(aqz.InvalidSettingsError, match=r"^arrays\[1\]\.is_ngff: .*\(line 13, column \d+\)"):
        aqz.StreamSettings.from_string(bad)
    v2 = V1_MULTISCALE.replace("version: 1", "version: 2")
    with pytest.raises(aqz.InvalidSettingsError, match=r"^arrays\[0\]\.multiscale: .*\(line 6, column \d+\)"):
        aqz.StreamSettings.from_string(v2)


def test_numbers_are_taken_for_names():
    s = aqz.StreamSettings.from_string(NUMBERS_FOR_NAMES)
    plate = s.plates[0]
    assert plate.column_names == ["1", "2"]
    assert plate.wells[0].column_name == "2"
    assert plate.wells[0].images[0].path == "0"
    assert s.get_array_keys() == ["plate/A/2/0"]
    # Written back quoted, so the document says strings.
    assert '"2"' in s.to_yaml() and s.to_dict()["plates"][0]["column_names"] == ["1", "2"]
    d = json.loads(s.to_json())
    d["plates"][0]["column_names"] = [1, 2]
    assert aqz.StreamSettings.from_dict(d) == s


def test_numbers_written_as_strings_are_read():
    s = aqz.StreamSettings.from_string(NUMBERS_AS_STRINGS)
    assert s.max_threads == 2
    t, x = s.arrays[0].dimensions
    assert (t.array_size_px, t.chunk_size_px, t.shard_size_chunks) == (0, 1, 1)
    assert (x.array_size_px, x.chunk_size_px, x.shard_size_chunks, x.scale) == (16, 8, 2, 0.5)
    assert aqz.StreamSettings.from_dict(json.loads(NUMBERS_AS_STRINGS)) == s


def test_published_cases_match_the_c_loader(clib):
    """Each case loads in C, and C's dump of it is Python's."""
    for text in (V1_MULTISCALE, NUMBERS_FOR_NAMES, NUMBERS_AS_STRINGS):
        s = aqz.StreamSettings.from_string(text)
        assert s.to_json() == clib.reload(text, "json")
        assert s.to_yaml() == clib.reload(text, "yaml")


# --------------------------------------------------------------------------
# Refusals: the C loader's message, field and line
# --------------------------------------------------------------------------

BAD_CHUNK = V1_MULTISCALE.replace("array_size_px: 64, chunk_size_px: 16", "array_size_px: 64, chunk_size_px: -4", 1)


def test_refusal_names_field_value_and_line():
    with pytest.raises(aqz.InvalidSettingsError) as e:
        aqz.StreamSettings.from_string(BAD_CHUNK)
    assert isinstance(e.value, ValueError) and isinstance(e.value, RuntimeError)
    assert e.value.status == "InvalidSettings"
    assert re.fullmatch(r"arrays\[0\]\.dimensions\[1\]\.chunk_size_px: expected a non-negative "
                        r"integer, got -4 \(line 9, column \d+\)", str(e.value)), str(e.value)


def test_refusal_is_the_c_loaders(clib):
    with pytest.raises(aqz.InvalidSettingsError) as e:
        aqz.StreamSettings.from_string(BAD_CHUNK)
    assert clib.refusal(BAD_CHUNK) == "ZarrStreamSettings_load_from_string: " + str(e.value)


def test_file_refusal_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CHUNK.replace("multiscale", "multiscal"))
    with pytest.raises(aqz.InvalidSettingsError,
                       match=rf"^{re.escape(str(path))}: arrays\[0\]\.multiscal: unknown field .*\(line 6, "):
        aqz.StreamSettings.from_file(path)
    with pytest.raises(FileNotFoundError):
        aqz.StreamSettings.from_file(tmp_path / "missing.yaml")


def test_dict_refusal_names_the_field_without_lines():
    d = json.loads(aqz.StreamSettings.from_string(V1_MULTISCALE).to_json())
    d["arrays"][1]["dimensions"][0]["chunk_size_px"] = -4
    with pytest.raises(aqz.InvalidSettingsError) as e:
        aqz.StreamSettings.from_dict(d)
    assert str(e.value) == "arrays[1].dimensions[0].chunk_size_px: expected a non-negative integer, got -4"
    d["arrays"][1]["dimension"] = d["arrays"][1].pop("dimensions")
    with pytest.raises(aqz.InvalidSettingsError, match=r"^arrays\[1\]\.dimension: unknown field"):
        aqz.StreamSettings.from_dict(d)
    with pytest.raises(aqz.InvalidSettingsError, match="mapping"):
        aqz.StreamSettings.from_dict([1, 2])
    with pytest.raises(aqz.InvalidSettingsError, match="no place in a settings document"):
        aqz.StreamSettings.from_dict({"store_path": object()})


def test_dict_may_hold_enum_members():
    d = json.loads(_rich_settings().to_json())
    d["zarr_version"] = aqz.ZarrVersion.V2
    d["arrays"][0]["data_type"] = aqz.DataType.UINT16
    d["arrays"][0]["compression"]["codec"] = aqz.CompressionCodec.BLOSC_ZSTD
    d["arrays"][0]["dimensions"][0]["type"] = aqz.DimensionType.TIME
    d["arrays"][0]["downsampling_method"] = aqz.DownsamplingMethod.MEAN
    assert aqz.StreamSettings.from_dict(d) == _rich_settings()


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------


def test_python_round_trip_is_exact(tmp_path):
    s = _rich_settings()
    assert aqz.StreamSettings.from_dict(s.to_dict()) == s
    assert aqz.StreamSettings.from_string(s.to_json()) == s
    assert aqz.StreamSettings.from_string(s.to_yaml()) == s
    for name in ("s.json", "s.yaml", "s.JSON", "s.yml"):
        s.to_file(tmp_path / name)
        assert aqz.StreamSettings.from_file(tmp_path / name) == s
    assert (tmp_path / "s.json").read_text() == s.to_json() + "\n"
    assert (tmp_path / "s.yaml").read_text() == s.to_yaml()
    assert json.loads(s.to_json()) == s.to_dict()


def test_python_dump_loads_in_c_to_the_same_settings(clib, tmp_path):
    """Python -> dump -> C loader -> C dump: the same document, so the same
    settings; and Python reads C's dump back to equal settings."""
    s = _rich_settings()
    for fmt, text in (("json", s.to_json()), ("yaml", s.to_yaml())):
        for out in ("json", "yaml"):
            again = clib.reload(text, out)
            assert again == (s.to_json() if out == "json" else s.to_yaml())
            assert aqz.StreamSettings.from_string(again) == s
    for name in ("s.json", "s.yaml"):
        s.to_file(tmp_path / name)
        assert clib.reload(path=str(tmp_path / name)) == s.to_json()


def test_c_dump_loads_in_python(clib):
    """A document only C has touched reads in Python to the settings C has."""
    written = NUMBERS_FOR_NAMES + "overwrite: true\nzarr_version: 2\n"
    c_json = clib.reload(written, "json")
    c_yaml = clib.reload(written, "yaml")
    s = aqz.StreamSettings.from_string(c_json)
    assert s == aqz.StreamSettings.from_string(c_yaml) == aqz.StreamSettings.from_string(written)
    assert s.overwrite is True and s.version == aqz.ZarrVersion.V2
    assert s.to_json() == c_json and s.to_yaml() == c_yaml


def test_shorthand_is_written_as_the_first_array(clib):
    s = aqz.StreamSettings(store_path="short.zarr", data_type=aqz.DataType.UINT16, output_key="k",
                           dimensions=[_dim("y", aqz.DimensionType.SPACE, 8, 8, 1),
                                       _dim("x", aqz.DimensionType.SPACE, 8, 8, 1)])
    again = aqz.StreamSettings.from_dict(s.to_dict())
    assert [a.output_key for a in again.arrays] == ["k"]
    assert again.get_array_keys() == s.get_array_keys()
    assert clib.reload(s.to_json()) == s.to_json()


def test_requested_is_ngff_survives_a_round_trip():
    a = aqz.ArraySettings(data_type=aqz.DataType.UINT8, downsampling_method=aqz.DownsamplingMethod.MIN,
                          dimensions=[_dim("y", aqz.DimensionType.SPACE, 8, 8, 1),
                                      _dim("x", aqz.DimensionType.SPACE, 8, 8, 1)])
    s = aqz.StreamSettings(store_path="n.zarr", arrays=[a])
    again = aqz.StreamSettings.from_string(s.to_yaml())
    assert again == s
    again.arrays[0].downsampling_method = None
    assert again.arrays[0].is_ngff is False


def test_custom_metadata_is_not_part_of_a_document():
    s = _rich_settings()
    s.arrays = s.arrays[:1]
    s.custom_metadata = '{"k": 1}'
    assert "custom_metadata" not in s.to_dict()
    with pytest.raises(aqz.InvalidSettingsError, match="custom_metadata"):
        aqz.StreamSettings.from_dict({**s.to_dict(), "custom_metadata": {"k": 1}})
