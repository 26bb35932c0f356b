"""Run-time documentation: help(), inspect.signature, docstrings.

Every public class, field and method documents itself (not only in the
``.pyi``): the settings classes have a real keyword-only signature, a class
docstring listing each field with its type and default, documented field
descriptors and no private helpers in ``help()``; the pybind11 classes and
functions have docstrings with named parameters. The ``.pyi`` docstrings are
the run-time ones, word for word.
"""

import ast
import inspect
import pydoc
import re
from pathlib import Path

import pytest

import acquire_zarr as aqz

SETTINGS = [
    aqz.StreamSettings,
    aqz.ArraySettings,
    aqz.Dimension,
    aqz.CompressionSettings,
    aqz.S3Settings,
    aqz.Plate,
    aqz.Well,
    aqz.FieldOfView,
    aqz.Acquisition,
]
ENUMS = [
    aqz.ZarrVersion,
    aqz.DataType,
    aqz.LogLevel,
    aqz.Compressor,
    aqz.CompressionCodec,
    aqz.DimensionType,
    aqz.DownsamplingMethod,
]
# Keywords that set another field (default None: "not given").
ALIASES = {
    aqz.Dimension: {"type": "kind"},
    aqz.StreamSettings: {"hcs_plates": "plates"},
}

PYI = Path(aqz.__file__).with_name("__init__.pyi")


def _pyi_classes():
    tree = ast.parse(PYI.read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}, {
        n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)
    }


PYI_CLASSES, PYI_FUNCTIONS = _pyi_classes()


def _pyi_init_keywords(name):
    init = next(
        f for f in PYI_CLASSES[name].body if isinstance(f, ast.FunctionDef) and f.name == "__init__"
    )
    assert not init.args.args[1:], f"{name}.__init__ in the .pyi takes positional arguments"
    return [a.arg for a in init.args.kwonlyargs]


def _default_text(value):
    """How the docs spell a default: '' / 1.0 / None / DataType.UINT8 / []."""
    if isinstance(value, list):
        return "[]"
    if type(value) in ENUMS:
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, aqz.ArraySettings) and value == aqz.ArraySettings():
        return "ArraySettings()"  # a new one: not the whole record
    return repr(value)


def _render(obj):
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def _pybind_doc(obj):
    """The docstring of a pybind11 function without its signature line."""
    doc = inspect.getdoc(obj) or ""
    signature, _, text = doc.partition("\n\n")
    assert signature.startswith(obj.__name__ + "("), doc
    return text


# --------------------------------------------------------------------------
# settings classes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_signature_lists_the_documented_keywords(cls):
    sig = inspect.signature(cls)
    params = list(sig.parameters.values())
    assert [p.name for p in params] == _pyi_init_keywords(cls.__name__)
    for p in params:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, p
        assert p.annotation is not inspect.Parameter.empty, f"{cls.__name__}.{p.name} has no annotation"
        assert p.default is not inspect.Parameter.empty, f"{cls.__name__}.{p.name} has no default"
    # The signature binds what the constructor takes.
    sig.bind(**{params[0].name: params[0].default})
    with pytest.raises(TypeError):
        sig.bind(1)


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_signature_defaults_are_the_real_defaults(cls):
    fresh = cls()
    aliases = ALIASES.get(cls, {})
    for p in inspect.signature(cls).parameters.values():
        if p.name in aliases:
            assert p.default is None
            continue
        value = getattr(fresh, p.name)
        if isinstance(value, aqz.ArraySettings):  # shown as ArraySettings()
            assert repr(p.default) == "ArraySettings()"
            assert value == aqz.ArraySettings()
        else:
            assert p.default == value, (p.name, p.default, value)
        # Passing the signature default gives the same object.
        assert cls(**{p.name: p.default if not isinstance(value, aqz.ArraySettings) else value}) == fresh


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_help_lists_every_field_with_type_and_default(cls):
    text = _render(cls)
    fresh = cls()
    aliases = ALIASES.get(cls, {})
    for p in inspect.signature(cls).parameters.values():
        if p.name in aliases:
            assert re.search(rf"\b{p.name} \([^)]*\): Alias of ``{aliases[p.name]}``", text), p.name
            continue
        default = _default_text(getattr(fresh, p.name))
        pattern = rf"\b{p.name} \((?P<type>[^,]+(?:, [^,]+)*), default {re.escape(default)}\)"
        assert re.search(pattern, text), f"{cls.__name__}: no '{p.name} (<type>, default {default})' in help"
    # The signature itself, as help() shows it.
    assert f"{cls.__name__}(*, " in text


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_help_shows_no_private_helpers(cls):
    text = _render(cls)
    entries = re.findall(r"^ \|  (\w+)", text, re.M)
    private = [e for e in entries if e.startswith("_") and not (e.startswith("__") and e.endswith("__"))]
    assert not private, private
    helpers = [n for n in dir(cls) if n.startswith("_") and not n.startswith("__")]
    assert helpers, "expected private helpers to exist (else this test checks nothing)"
    shown = [n for n in helpers if re.search(rf"(?<![\w.]){re.escape(n)}\b", text)]
    assert not shown, shown
    assert "*args" not in text and "**kwargs" not in text


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_field_descriptors_have_docstrings(cls):
    for name in inspect.signature(cls).parameters:
        descriptor = inspect.getattr_static(cls, name)
        doc = inspect.getdoc(descriptor)
        assert doc and doc != inspect.getdoc(type(descriptor)), f"{cls.__name__}.{name}"


@pytest.mark.parametrize("cls", SETTINGS + [aqz.ZarrStream], ids=lambda c: c.__name__)
def test_every_public_method_has_a_docstring(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        if not callable(member):
            continue
        doc = _pybind_doc(member) if cls is aqz.ZarrStream else inspect.getdoc(member)
        assert doc and doc.strip(), f"{cls.__name__}.{name} has no docstring"


def test_class_docstring_keeps_its_summary():
    """The class docstring is completed from the fields, not replaced."""
    assert aqz.Dimension.__doc__.startswith("Properties of a dimension")
    assert "{fields}" not in aqz.StreamSettings.__doc__
    assert "Single-array shorthand" in aqz.StreamSettings.__doc__


# --------------------------------------------------------------------------
# pybind11 classes and functions
# --------------------------------------------------------------------------


def test_zarr_stream_help_reads_well():
    text = _render(aqz.ZarrStream)
    assert "An output stream to a Zarr store." in text
    for fragment in [
        "__init__(self: acquire_zarr.ZarrStream, settings: acquire_zarr.StreamSettings)",
        "append(self: acquire_zarr.ZarrStream, data: numpy.ndarray | bytes",
        "key: str | None = None",
        "skip(self: acquire_zarr.ZarrStream, n_bytes: int",
        "write_custom_metadata(self: acquire_zarr.ZarrStream, metadata: str | dict, *, array_key",
        "__enter__(self: acquire_zarr.ZarrStream) -> acquire_zarr.ZarrStream",
    ]:
        assert fragment in text, fragment
    assert "arg0" not in text, "unnamed pybind11 parameter"


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_enum_help_shows_description_and_members(enum):
    text = _render(enum)
    first = inspect.getdoc(enum).splitlines()[0]
    assert first and first in text
    for name in enum.__members__:
        assert re.search(rf"\b{name} : \S", text), name
    # Still the pybind11 enum behaviour.
    member = next(iter(enum.__members__.values()))
    assert int(member) == member.value and hash(member) == hash(member)


@pytest.mark.parametrize("function", [aqz.set_log_level, aqz.get_log_level], ids=lambda f: f.__name__)
def test_module_functions_are_documented(function):
    assert _pybind_doc(function)
    assert "arg0" not in function.__doc__


def test_set_log_level_names_its_parameter():
    assert aqz.set_log_level.__doc__.startswith("set_log_level(level: acquire_zarr.LogLevel)")
    aqz.set_log_level(level=aqz.get_log_level())


# --------------------------------------------------------------------------
# the .pyi says the same
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", SETTINGS + [aqz.ZarrStream], ids=lambda c: c.__name__)
def test_pyi_class_docstring_is_the_runtime_one(cls):
    assert ast.get_docstring(PYI_CLASSES[cls.__name__]) == inspect.getdoc(cls)


@pytest.mark.parametrize("cls", [aqz.StreamSettings, aqz.ZarrStream], ids=lambda c: c.__name__)
def test_pyi_method_docstrings_are_the_runtime_ones(cls):
    pybind = cls is aqz.ZarrStream
    documented = set()
    for node in PYI_CLASSES[cls.__name__].body:
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node):
            member = getattr(cls, node.name)
            runtime = _pybind_doc(member) if pybind else inspect.getdoc(member)
            assert ast.get_docstring(node) == runtime, node.name
            documented.add(node.name)
    public = {n for n, m in inspect.getmembers(cls) if callable(m) and not n.startswith("_")}
    assert public <= documented, public - documented


@pytest.mark.parametrize("name", ["get_log_level", "set_log_level"])
def test_pyi_function_docstrings_are_the_runtime_ones(name):
    assert ast.get_docstring(PYI_FUNCTIONS[name]) == _pybind_doc(getattr(aqz, name))


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
def test_pyi_attributes_are_the_runtime_fields(cls):
    annotated = [
        n.target.id for n in PYI_CLASSES[cls.__name__].body if isinstance(n, ast.AnnAssign)
    ]
    assert set(annotated) == set(inspect.signature(cls).parameters)


def test_every_environment_variable_the_engine_reads_is_in_the_readme():
    """The engine's getenv() calls against the README's "Environment
    variables" list (the AWS credentials are S3's, documented there)."""
    root = Path(__file__).resolve().parents[2]
    names = set()
    for source in (root / "src").rglob("*.cpp"):
        names.update(re.findall(r'getenv\("([A-Z0-9_]+)"\)', source.read_text()))
    names = {n for n in names if not n.startswith("AWS_")}
    assert {"ZARR_DIRECT_IO", "ZARR_BANDED_FRAME_BYTES"} <= names, names
    readme = (root / "README.md").read_text()
    section = readme.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- `([A-Z0-9_]+)`", section, re.M))
    assert names <= listed, f"read by the engine, not in the README: {sorted(names - listed)}"
