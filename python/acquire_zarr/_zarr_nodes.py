"""Zarr nodes on a local filesystem, read and rewritten as JSON documents.

Private helpers of :mod:`acquire_zarr.pyramid` and
:mod:`acquire_zarr.ome_metadata`: what a path holds (a v2 or v3 array or
group), its attributes, atomic rewrites of its metadata documents, and the
OME-NGFF multiscales it carries (0.4 in ``.zattrs``, 0.5 in
``attributes.ome``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

# Default axis names by dimension count, as OME-NGFF orders them: (t)(c)(z)yx.
DEFAULT_AXES = {2: ["y", "x"], 3: ["z", "y", "x"], 4: ["c", "z", "y", "x"], 5: ["t", "c", "z", "y", "x"]}


def local_path(node: Any, what: str = "store") -> Path:
    """A filesystem path from a path, or from a zarr-python Array/Group on a
    local store."""
    if isinstance(node, (str, os.PathLike)):
        return Path(os.fspath(node))
    store = getattr(node, "store", None)
    root = getattr(store, "root", None)
    if root is not None and hasattr(node, "path"):
        return Path(os.fspath(root)) / str(node.path)
    raise TypeError(
        f"{what} must be a path (str or os.PathLike) to a Zarr node on a local filesystem, "
        f"or a zarr-python Array/Group on a LocalStore; got {type(node).__name__}"
    )


def load_json(path: Path) -> Any:
    with open(path, "rb") as f:
        return json.loads(f.read())


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(document, f, indent=2, allow_nan=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass
class Node:
    """What one directory of a Zarr store holds."""

    path: Path
    kind: str  # "array" | "group"
    zarr_format: int  # 2 | 3
    meta: Dict[str, Any]  # zarr.json, or .zarray / .zgroup
    attrs: Dict[str, Any] = field(default_factory=dict)

    @property
    def meta_file(self) -> Path:
        if self.zarr_format == 3:
            return self.path / "zarr.json"
        return self.path / (".zarray" if self.kind == "array" else ".zgroup")

    @property
    def attrs_file(self) -> Path:
        return self.path / ("zarr.json" if self.zarr_format == 3 else ".zattrs")

    @property
    def shape(self) -> tuple:
        return tuple(int(n) for n in self.meta["shape"])

    def chunks(self) -> tuple:
        """The read chunk shape (the inner chunk of a sharded v3 array)."""
        if self.zarr_format == 2:
            return tuple(int(n) for n in self.meta["chunks"])
        outer = tuple(int(n) for n in self.meta["chunk_grid"]["configuration"]["chunk_shape"])
        codecs = self.meta.get("codecs") or []
        if len(codecs) == 1 and codecs[0].get("name") == "sharding_indexed":
            return tuple(int(n) for n in codecs[0]["configuration"]["chunk_shape"])
        return outer

    def shard_shape(self) -> Optional[tuple]:
        """The shard shape of a sharded v3 array, else None."""
        if self.zarr_format == 2:
            return None
        codecs = self.meta.get("codecs") or []
        if len(codecs) == 1 and codecs[0].get("name") == "sharding_indexed":
            return tuple(int(n) for n in self.meta["chunk_grid"]["configuration"]["chunk_shape"])
        return None

    def dimension_names(self) -> Optional[List[str]]:
        if self.zarr_format == 3:
            names = self.meta.get("dimension_names")
        else:
            names = self.attrs.get("_ARRAY_DIMENSIONS")  # the xarray convention
        if isinstance(names, list) and names and all(isinstance(n, str) and n for n in names):
            if len(names) == len(self.meta.get("shape", ())) and len(set(names)) == len(names):
                return list(names)
        return None

    def describe(self) -> str:
        return f"Zarr v{self.zarr_format} {self.kind} at {self.path}"


def read_node(path: Path) -> Optional[Node]:
    """The node at ``path``, or None when it holds no Zarr metadata."""
    v3 = path / "zarr.json"
    if v3.is_file():
        meta = load_json(v3)
        kind = meta.get("node_type")
        if kind not in ("array", "group"):
            raise ValueError(f"{v3}: node_type {kind!r} is neither 'array' nor 'group'")
        attrs = meta.get("attributes") or {}
        return Node(path, kind, 3, meta, dict(attrs))
    for name, kind in ((".zarray", "array"), (".zgroup", "group")):
        if (path / name).is_file():
            meta = load_json(path / name)
            attrs = load_json(path / ".zattrs") if (path / ".zattrs").is_file() else {}
            return Node(path, kind, 2, meta, dict(attrs))
    return None


def require_node(store: Any, what: str = "store") -> Node:
    path = local_path(store, what)
    if not path.exists():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    node = read_node(path)
    if node is None:
        raise ValueError(
            f"{what} {str(path)!r} is not a Zarr array or group: it has no zarr.json (v3), "
            f".zarray or .zgroup (v2)"
        )
    return node


def write_attrs(node: Node, attrs: Dict[str, Any]) -> None:
    """Replace the attributes of ``node`` (the rest of its document is kept)."""
    if node.zarr_format == 3:
        meta = load_json(node.path / "zarr.json")
        meta["attributes"] = attrs
        write_json_atomic(node.path / "zarr.json", meta)
    else:
        write_json_atomic(node.path / ".zattrs", attrs)
    node.attrs = dict(attrs)


def multiscale_of(node: Node) -> Optional[Dict[str, Any]]:
    """The first multiscale of an image group (0.5 ``ome.multiscales`` or 0.4
    ``multiscales``), or None."""
    if node.kind != "group":
        return None
    ome = node.attrs.get("ome")
    if isinstance(ome, dict) and isinstance(ome.get("multiscales"), list) and ome["multiscales"]:
        ms = ome["multiscales"][0]
        return ms if isinstance(ms, dict) else None
    ms = node.attrs.get("multiscales")
    if isinstance(ms, list) and ms and isinstance(ms[0], dict):
        return ms[0]
    return None


class Snapshot:
    """The bytes of some files (or their absence), to put back on failure."""

    def __init__(self) -> None:
        self._saved: Dict[Path, Optional[bytes]] = {}

    def save(self, path: Path) -> None:
        if path in self._saved:
            return
        self._saved[path] = path.read_bytes() if path.is_file() else None

    def restore(self) -> None:
        for path, data in self._saved.items():
            try:
                if data is None:
                    if path.exists():
                        path.unlink()
                else:
                    tmp = path.with_name(path.name + ".restore")
                    tmp.write_bytes(data)
                    os.replace(tmp, path)
            except OSError:
                pass


def import_zarr(purpose: str):
    try:
        import zarr  # noqa: F401
    except ImportError as e:  # pragma: no cover - zarr is a test requirement
        raise ImportError(
            f"{purpose} needs zarr-python 3 to read Zarr arrays: pip install 'zarr>=3'"
        ) from e
    return zarr
