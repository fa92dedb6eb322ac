"""Runs and results in an Asgard storage, written and read exactly as docs/storage-format.md says: a directory,
or a bucket (``s3://bucket/prefix``, with the optional obstore package).

In a directory, every file is written to a temporary name and renamed into place (readers never see half a
file), and a run file is changed only under an exclusive ``flock`` on ``.locks/{run-id}.lock``, so that any
number of processes (Python or Rust) can add results to one run at once. In a bucket, which has neither, every
object is created once, a result is listed by an entry ``runs/{run}/{micros}-{result}`` instead of a rewrite
of the run file, a run file changes by compare-and-swap, and every change is announced in ``journal/``.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import io
import json
import logging
import math
import os
import re
import tempfile
import time
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import folds
from .values import (  # noqa: F401 (the errors and now_rfc3339 are part of this module's API)
    AsgardStorageError,
    InvalidData,
    NotFound,
    _json_safe,
    _nulls_to_nan,
    _storable,
    now_rfc3339,
)
from .bucket import Bucket, Exists, is_bucket_url
from .schema import validate
from .stats import compute as compute_stats

FORMAT_NAME = "asgard-storage"
FORMAT_VERSION = 1
METADATA_FILE = ".asgard_metadata.json"
DEFAULT_INLINE_THRESHOLD = 1000
STATUSES = ("running", "completed", "failed")
MAX_TAGS = 64
MAX_TAG_CHARS = 64
MAX_NOTE_CHARS = 4000
MAX_PROGRESS_CHARS = 200

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass
class Run:
    """``runs/{id}.json``."""

    id: str
    name: str
    timestamp: str
    equation: Optional[str] = None
    circuit: Optional[str] = None
    status: str = "running"
    metadata: Dict[str, Any] = field(default_factory=dict)
    results: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    note: str = ""
    starred: bool = False
    #: Each result's type and statistics, by result id (``{"type": "Solution1D", "error.max": …}``).
    stats: Dict[str, Any] = field(default_factory=dict)
    #: How far along the run is, as last set: ``{"fraction": 0.4, "message": "…", "at": "<RFC 3339>"}``.
    progress: Optional[Dict[str, Any]] = None

    def to_json(self) -> Dict[str, Any]:
        record = {
            "id": self.id,
            "name": self.name,
            "timestamp": self.timestamp,
            "equation": self.equation,
            "circuit": self.circuit,
            "status": self.status,
            "metadata": self.metadata,
            "results": self.results,
        }
        # As the Rust writer: absent when empty, so older readers see the format they know.
        if self.tags:
            record["tags"] = self.tags
        if self.note:
            record["note"] = self.note
        if self.starred:
            record["starred"] = True
        if self.stats:
            record["stats"] = self.stats
        if self.progress is not None:
            record["progress"] = self.progress
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> "Run":
        return cls(
            id=record["id"],
            name=record["name"],
            timestamp=record["timestamp"],
            equation=record.get("equation"),
            circuit=record.get("circuit"),
            status=record.get("status", "running"),
            metadata=dict(record.get("metadata") or {}),
            results=list(record.get("results") or []),
            tags=[str(t) for t in record.get("tags") or []],
            note=str(record.get("note") or ""),
            starred=bool(record.get("starred", False)),
            stats=dict(record.get("stats") or {}) if isinstance(record.get("stats"), dict) else {},
            progress=dict(record["progress"]) if isinstance(record.get("progress"), dict) else None,
        )


@dataclass
class Result:
    """``results/{id}.json``, with every array field as a NumPy array."""

    id: str
    run_id: str
    result_type: str
    timestamp: str
    data: Dict[str, Any] = field(default_factory=dict)
    display: Dict[str, Any] = field(default_factory=dict)
    #: For a growing result: ``{"open": True, "opened": …}`` until its writer closes it (then ``None``).
    growing: Optional[Dict[str, Any]] = None


def _check_id(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidData(f"invalid {what} id: {str(value)[:64]!r} is not a UUID") from None


def _write_atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _json_bytes(value: Any, keep_non_finite: bool = False) -> bytes:
    """Strict JSON; a record read back and rewritten (`keep_non_finite`) keeps the NaN and Infinity words
    another writer put in it, as the storage format allows."""
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=keep_non_finite).encode("utf-8")


def _write_json(path: Path, value: Any, keep_non_finite: bool = False) -> None:
    data = _json_bytes(value, keep_non_finite)
    _write_atomic(path, lambda f: f.write(data))


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _tags(current: Sequence[str], set_to: Optional[Sequence[str]] = None, add: Sequence[str] = ()) -> List[str]:
    """The tags a run has after replacing them with ``set_to`` (if given) and adding ``add``: trimmed, each once,
    checked as the Rust writer checks them."""
    if isinstance(set_to, str) or isinstance(add, str):
        raise InvalidData("tags must be a list of text, found a single text")
    tags = list(current) if set_to is None else []
    for tag in list(set_to or []) + list(add):
        if not isinstance(tag, str):
            raise InvalidData(f"a tag must be text, found {type(tag).__name__}")
        tag = tag.strip()
        if not tag:
            raise InvalidData("a tag cannot be empty")
        if len(tag) > MAX_TAG_CHARS:
            raise InvalidData(f"tag `{tag}` is longer than {MAX_TAG_CHARS} characters")
        if any(unicodedata.category(c) == "Cc" for c in tag):
            raise InvalidData(f"tag {tag!r} holds a control character")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidData(f"a run can have at most {MAX_TAGS} tags; this would give it {len(tags)}")
    return tags


def _inline_shape(value: Any):
    """(shape, numeric) of inline JSON, as the Rust reader infers it; ``None`` for objects and ragged lists."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return [], True
    if isinstance(value, (str, bool)):
        return [], False
    if isinstance(value, dict):
        return None
    if isinstance(value, list):
        inner = None
        for item in value:
            got = _inline_shape(item)
            if got is None:
                return None
            if inner is None:
                inner = got
            elif inner[0] != got[0]:
                return None
            else:
                inner = (inner[0], inner[1] and got[1])
        rest, numeric = inner if inner is not None else ([], True)
        return [len(value)] + rest, numeric
    return None


def _as_array(value: Any) -> Optional[np.ndarray]:
    """A numeric NumPy array for NumPy/JAX arrays, anything with ``__array__`` and rectangular numeric lists;
    ``None`` for other JSON (strings, objects, ragged lists)."""
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and not isinstance(value, (list, tuple, dict))):
        array = np.asarray(value)
    elif isinstance(value, (list, tuple)):
        shape = _inline_shape(_json_safe(list(value)) if isinstance(value, tuple) else value)
        if shape is None or not shape[1]:
            return None
        array = np.asarray(value, dtype=np.float64) if _has_null(value) else np.asarray(value)
    else:
        return None
    if array.dtype.kind in "fiub":
        return array
    if array.dtype.kind == "c":
        raise InvalidData("complex arrays cannot be stored: save the real and imaginary parts as two fields")
    if array.dtype.kind in "US" or array.dtype == object:
        return None
    raise InvalidData(f"arrays of {array.dtype} cannot be stored: expected numbers (float, int or bool)")


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_null(v) for v in value)
    return False


def _timestamp_key(timestamp: str) -> float:
    try:
        return _dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return -math.inf


class AsgardStorage:
    """A storage, opened (and laid out if new): a directory, ``file://DIR``, or a bucket (``s3://bucket/prefix``,
    ``gs://…``, ``az://…``; credentials and endpoint from the standard variables such as ``AWS_ACCESS_KEY_ID``
    and ``AWS_ENDPOINT_URL``; needs ``pip install "asgard-storage[s3]"``)."""

    def __init__(self, path: Union[str, os.PathLike], inline_threshold: int = DEFAULT_INLINE_THRESHOLD):
        self.inline_threshold = inline_threshold
        self._bucket: Optional[Bucket] = None
        if is_bucket_url(path):
            try:
                self._bucket = Bucket(str(path))
            except ValueError as e:
                raise AsgardStorageError(str(e)) from None
            self.root = None
            try:
                got = self._bucket.get(METADATA_FILE)
                if got is None:
                    self._create_metadata()
                else:
                    self._check_metadata(got[0])
            except OSError as e:
                raise AsgardStorageError(f"storage {path} is not usable: {e}") from None
            return
        if isinstance(path, str) and path.startswith("file://"):
            path = path[len("file://"):]
        self.root = Path(path)
        if self.root.exists() and not self.root.is_dir():
            raise AsgardStorageError(f"storage path {self.root} exists but is not a directory")
        for sub in ("runs", "results", "files", ".locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        try:
            text = (self.root / METADATA_FILE).read_bytes()
        except FileNotFoundError:
            self._create_metadata()
        else:
            self._check_metadata(text)

    def _create_metadata(self) -> None:
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "created": now_rfc3339()}
        try:
            self._write_record(METADATA_FILE, meta, create=True)
        except Exists:
            pass  # another writer made it at the same moment

    def _check_metadata(self, text: bytes) -> None:
        try:
            meta = json.loads(text.decode("utf-8"))
        except ValueError as e:
            raise AsgardStorageError(f"{METADATA_FILE} is damaged: expected {{\"format\", \"version\", \"created\"}}: {e}") from None
        if meta.get("format") != FORMAT_NAME or int(meta.get("version", 0)) > FORMAT_VERSION:
            raise AsgardStorageError(
                f"{METADATA_FILE} is storage format {meta.get('format')!r} version {meta.get('version')}; "
                f"this asgard_storage reads {FORMAT_NAME!r} version {FORMAT_VERSION}"
            )

    @property
    def location(self) -> str:
        """Where the storage is: a directory's path, or ``s3://bucket/prefix``."""
        return self._bucket.url if self._bucket else str(self.root)

    # Files and objects ---------------------------------------------------------------------------------------
    # Every read, write, listing and removal goes through these, which know whether the storage is a directory
    # or a bucket. Keys are the format's relative paths (``runs/{id}.json``).

    def _read_bytes(self, rel: str) -> Optional[bytes]:
        if self._bucket:
            got = self._bucket.get(rel)
            return None if got is None else got[0]
        try:
            with open(self.root / rel, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def _write_bytes(self, rel: str, data: bytes, create: bool = False) -> None:
        """Writes a whole file or object atomically; in a bucket, ``create`` writes only if there is none (and
        raises :class:`Exists`)."""
        if self._bucket:
            self._bucket.put(rel, data, mode="create" if create else "overwrite")
        else:
            _write_atomic(self.root / rel, lambda f: f.write(data))

    def _write_record(self, rel: str, value: Any, create: bool = False, keep_non_finite: bool = False) -> None:
        self._write_bytes(rel, _json_bytes(value, keep_non_finite), create=create)

    def _exists(self, rel: str) -> bool:
        return self._bucket.exists(rel) if self._bucket else (self.root / rel).exists()

    def _delete(self, rel: str) -> None:
        if self._bucket:
            self._bucket.delete(rel)
        else:
            (self.root / rel).unlink(missing_ok=True)

    def _names(self, directory: str) -> List[str]:
        """The names directly under ``directory`` (files, or objects one level down), in name order."""
        if self._bucket:
            prefix = f"{directory}/"
            return [k[len(prefix):] for k in self._bucket.list(prefix) if "/" not in k[len(prefix):]]
        try:
            return sorted(p.name for p in (self.root / directory).iterdir() if p.is_file())
        except FileNotFoundError:
            return []

    # Paths -------------------------------------------------------------------------------------------------

    @staticmethod
    def _run_path(run_id: str) -> str:
        return f"runs/{run_id}.json"

    @staticmethod
    def _result_path(result_id: str) -> str:
        return f"results/{result_id}.json"

    @contextmanager
    def _locked(self, run_id: str) -> Iterator[None]:
        with open(self.root / ".locks" / f"{run_id}.lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read_json(self, rel: str, what: str) -> Dict[str, Any]:
        data = self._read_bytes(rel)
        if data is None:
            raise NotFound(what)
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as e:
            raise AsgardStorageError(f"{rel} is damaged: {e}") from None

    # Runs --------------------------------------------------------------------------------------------------

    def create_run(
        self,
        name: str,
        equation: Optional[str] = None,
        circuit: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[Sequence[str]] = None,
    ) -> Run:
        """A new run, ``running``, with no results."""
        if not isinstance(name, str):
            raise InvalidData(f"a run's name must be text, found {type(name).__name__}")
        run = Run(
            id=str(uuid.uuid4()),
            name=name,
            timestamp=now_rfc3339(),
            equation=equation,
            circuit=circuit,
            metadata=_json_safe(dict(metadata or {})),
            tags=_tags([], set_to=tags or []),
        )
        self._write_record(self._run_path(run.id), run.to_json(), create=True)
        self._announce(run.id)
        return run

    def _announce(self, run_id: str) -> None:
        if self._bucket:
            self._bucket.announce(run_id)

    def get_run(self, run_id: str) -> Run:
        run_id = _check_id(run_id, "run")
        record = self._read_json(self._run_path(run_id), f"no run with id {run_id}")
        try:
            run = Run.from_json(record)
        except (KeyError, TypeError) as e:
            raise AsgardStorageError(f"runs/{run_id}.json is damaged: missing field {e}") from None
        if run.id != run_id:
            raise AsgardStorageError(f"runs/{run_id}.json is damaged: expected id {run_id} (the file name), found {run.id}")
        # Results listed by an entry `runs/{run}/{micros}-{result}` (a bucket's writers), after the file's list.
        for entry in self._names(f"runs/{run_id}"):
            result_id = entry.split("-", 1)[-1]
            if _is_uuid(result_id) and result_id not in run.results:
                run.results.append(result_id)
        return run

    def list_runs(self) -> List[Run]:
        """Every readable run, newest first (a damaged run file is skipped; the monitor shows it with its problem)."""
        runs = []
        for name in self._names("runs"):
            if not (name.endswith(".json") and _is_uuid(name[: -len(".json")])):
                continue
            try:
                runs.append(self.get_run(name[: -len(".json")]))
            except AsgardStorageError:
                continue
        runs.sort(key=lambda r: (_timestamp_key(r.timestamp), r.id), reverse=True)
        return runs

    def _update_run(self, run_id: str, change) -> Run:
        """Reads a run's file, changes it and writes it back without losing another writer's change: under the
        run's lock in a directory; by compare-and-swap in a bucket (``change`` may then run more than once, and
        sees the file's own ``results``, without the entries)."""
        if self._bucket:
            rel = self._run_path(run_id)

            def rewrite(data: bytes) -> bytes:
                try:
                    run = Run.from_json(json.loads(data.decode("utf-8")))
                except (ValueError, KeyError, TypeError) as e:
                    raise AsgardStorageError(f"{rel} is damaged: {e}") from None
                change(run)
                return _json_bytes(run.to_json(), keep_non_finite=True)

            try:
                self._bucket.change(rel, rewrite)
            except FileNotFoundError:
                raise NotFound(f"no run with id {run_id}") from None
            self._announce(run_id)
            return self.get_run(run_id)
        with self._locked(run_id):
            run = self.get_run(run_id)
            change(run)
            _write_json(self.root / self._run_path(run_id), run.to_json(), keep_non_finite=True)
            return run

    def set_status(self, run_id: str, status: str) -> None:
        if status not in STATUSES:
            raise InvalidData(f"expected a status of running, completed or failed, found {status!r}")
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "status", status))

    def set_progress(self, run_id: str, fraction: float, message: str = "") -> None:
        """Says how far along a run is: ``fraction`` of the work done (0 to 1) and what it is doing. The run
        list shows a bar with the time left. Rewrites the run file: call it at most a few times a second."""
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise InvalidData(f"progress: expected a fraction from 0 to 1, found {fraction}")
        progress = {"fraction": fraction, "message": str(message)[:MAX_PROGRESS_CHARS], "at": now_rfc3339()}
        if not progress["message"]:
            del progress["message"]
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "progress", progress))

    def set_metadata(self, run_id: str, key: str, value: Any) -> None:
        self._update_run(_check_id(run_id, "run"), lambda run: run.metadata.__setitem__(key, _json_safe(value)))

    def set_tags(self, run_id: str, tags: Sequence[str]) -> None:
        """Replaces every tag of a run (trimmed, each once, in the order given)."""
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "tags", _tags([], set_to=tags)))

    def add_tags(self, run_id: str, tags: Sequence[str]) -> None:
        """Adds tags to a run, keeping those it has (under the run's lock: a tag added while another process
        appends results loses neither)."""
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "tags", _tags(run.tags, add=tags)))

    def remove_tags(self, run_id: str, tags: Sequence[str]) -> None:
        gone = {str(t).strip() for t in tags}
        self._update_run(
            _check_id(run_id, "run"), lambda run: setattr(run, "tags", [t for t in run.tags if t not in gone])
        )

    def set_note(self, run_id: str, note: str) -> None:
        """Sets a run's note (empty: none); at most 4,000 characters."""
        if not isinstance(note, str):
            raise InvalidData(f"a note must be text, found {type(note).__name__}")
        if len(note) > MAX_NOTE_CHARS:
            raise InvalidData(f"the note is {len(note)} characters long; at most {MAX_NOTE_CHARS} are kept")
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "note", note))

    def set_starred(self, run_id: str, starred: bool = True) -> None:
        self._update_run(_check_id(run_id, "run"), lambda run: setattr(run, "starred", bool(starred)))

    def delete_run(self, run_id: str) -> None:
        """Deletes the run, its results and their array files (the run file first, so it leaves lists at once)."""
        run_id = _check_id(run_id, "run")
        if self._bucket:
            self._delete_run_files(run_id)
            self._announce(run_id)
            return
        with self._locked(run_id):
            self._delete_run_files(run_id)
        (self.root / ".locks" / f"{run_id}.lock").unlink(missing_ok=True)

    def _delete_run_files(self, run_id: str) -> None:
        run = self.get_run(run_id)
        self._delete(self._run_path(run_id))
        files = self._names("files")
        for result_id in run.results:
            for name in files:
                if name.startswith(f"{result_id}_"):
                    self._delete(f"files/{name}")
            self._delete(self._result_path(result_id))
        for entry in self._names(f"runs/{run_id}"):
            self._delete(f"runs/{run_id}/{entry}")
        if self.root is not None:
            try:
                (self.root / "runs" / run_id).rmdir()
            except OSError:
                pass

    # Results -----------------------------------------------------------------------------------------------

    def add_result(
        self,
        run_id: str,
        result_type: str,
        data: Mapping[str, Any],
        display: Optional[Mapping[str, Any]] = None,
    ) -> Result:
        """Stores a result and appends it to its run. Arrays with more elements than the inline threshold go to
        ``files/{result-id}_{field}.npy``; smaller ones and other JSON are stored inline. The fields of the six
        known types are checked against their shapes (the same messages as the Rust writer)."""
        return self.get_result(self._store_result(run_id, result_type, data, display, growing=False))

    def open_result(
        self,
        run_id: str,
        result_type: str,
        data: Optional[Mapping[str, Any]] = None,
        display: Optional[Mapping[str, Any]] = None,
        flush_interval: float = 0.1,
    ) -> "Series":
        """Opens a result that grows while the computation runs, and returns its writer
        (:class:`asgard_storage.Series`): ``append`` rows, ``close`` at the end, or use it as a context manager.
        ``data`` holds the fields that do not grow (an ensemble's ``t``, an optimisation's ``param_names``). The
        result is listed in its run at once; a page shows its rows as they are written."""
        from .series import Series

        result_id = self._store_result(run_id, result_type, data or {}, display, growing=True)
        return Series(self, result_id, flush_interval)

    def _store_result(
        self,
        run_id: str,
        result_type: str,
        data: Mapping[str, Any],
        display: Optional[Mapping[str, Any]],
        growing: bool,
    ) -> str:
        run_id = _check_id(run_id, "run")
        if not self._exists(self._run_path(run_id)):
            raise NotFound(f"no run with id {run_id}")
        display = {} if display is None else display
        if not isinstance(display, Mapping):
            raise InvalidData(f"`display` must be a JSON object, found {json.dumps(_json_safe(display))}")
        result_id = str(uuid.uuid4())
        prepared: Dict[str, Any] = {}
        shapes: Dict[str, List[int]] = {}
        for name, value in data.items():
            if not isinstance(name, str) or not _FIELD_NAME.match(name) or name.startswith("."):
                raise InvalidData(
                    f"field name {name!r}: expected 1 to 128 letters, digits, '_', '-' or '.', not starting with '.'"
                )
            array = _as_array(value)
            if array is not None:
                prepared[name] = _storable(array)
                shapes[name] = list(array.shape)
            else:
                inline = _json_safe(value.tolist() if isinstance(value, np.ndarray) else value)
                prepared[name] = inline
                got = _inline_shape(inline)
                if got is not None:
                    shapes[name] = got[0]
        problem = None if growing else validate(result_type, shapes.get)
        if problem:
            raise InvalidData(problem)
        arrays = {name: value for name, value in prepared.items() if isinstance(value, np.ndarray)}
        stats = {} if growing else compute_stats(result_type, arrays, display)

        fields: Dict[str, Any] = {}
        written: List[str] = []
        try:
            for name, value in prepared.items():
                if isinstance(value, np.ndarray) and value.size > self.inline_threshold:
                    file = f"{result_id}_{name}.npy"
                    if self._bucket:
                        buffer = io.BytesIO()
                        np.save(buffer, value, allow_pickle=False)
                        self._write_bytes(f"files/{file}", buffer.getvalue(), create=True)
                    else:
                        _write_atomic(self.root / "files" / file, lambda f, a=value: np.save(f, a, allow_pickle=False))
                    written.append(f"files/{file}")
                    fields[name] = {"$npy": file, "shape": list(value.shape), "dtype": value.dtype.str}
                elif isinstance(value, np.ndarray):
                    fields[name] = _json_safe(value.tolist())
                else:
                    fields[name] = value
            record = {
                "id": result_id,
                "run_id": run_id,
                "result_type": result_type,
                "timestamp": now_rfc3339(),
                "data": fields,
                "display": _json_safe(dict(display)),
            }
            if stats:
                record["stats"] = stats
            if growing:
                record["growing"] = {"open": True, "opened": now_rfc3339()}
            self._write_record(self._result_path(result_id), record, create=True)
            written.append(self._result_path(result_id))

            if self._bucket:
                # Listed by an entry beside the run, never by rewriting the run file: many writers may add
                # results to one run at once, and a bucket has no lock.
                micros = time.time_ns() // 1000
                self._write_bytes(f"runs/{run_id}/{micros:016d}-{result_id}", b"", create=True)
                self._announce(run_id)
            else:

                def add(run: Run) -> None:
                    run.results.append(result_id)
                    # A growing result has no statistics until it closes.
                    if not growing:
                        run.stats[result_id] = {"type": result_type, **stats}

                self._update_run(run_id, add)
        except BaseException:
            # Nothing of a result that did not land is left behind.
            for rel in written:
                try:
                    self._delete(rel)
                except Exception:
                    pass
            raise
        return result_id

    def _write_array(self, rel: str, array: np.ndarray, create: bool = True) -> None:
        if self._bucket:
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            self._write_bytes(rel, buffer.getvalue(), create=create)
        else:
            _write_atomic(self.root / rel, lambda f: np.save(f, array, allow_pickle=False))

    def _append_chunk(self, result_id: str, seq: int, rows: Mapping[str, np.ndarray], fold: bool = True) -> None:
        """Writes chunk ``seq`` of an open result: each field's rows (its first axis), the same count in all.
        Arrays over the inline threshold go to their own files first; the chunk file, created once and last,
        makes them part of the result. Then (unless ``fold`` is false: a :class:`Series` folds from its thread)
        the folds the chunk completes."""
        counts = {name: int(a.shape[0]) for name, a in rows.items()}
        if len(set(counts.values())) > 1:
            raise InvalidData(f"every field of one append needs the same number of rows, found {counts}")

        def record(data: Dict[str, Any]) -> Dict[str, Any]:
            return {
                "result_id": result_id,
                "seq": seq,
                "timestamp": now_rfc3339(),
                "rows": next(iter(counts.values()), 0),
                "data": data,
            }

        folds.write_piece(
            self, folds.chunk_path(result_id, seq), rows, lambda name: f"{result_id}_{name}-{seq:08d}.npy", record
        )
        if self._bucket:
            result = self._read_json(self._result_path(result_id), f"no result with id {result_id}")
            self._bucket.announce(result["run_id"], chunk=(result_id, seq))
        if fold:
            self._fold_chunks(result_id, seq)

    def _fold_chunks(self, result_id: str, seq: int) -> None:
        """The folds chunk ``seq`` completes; one that fails is logged and leaves the chunks to be read one by one."""
        try:
            folds.fold_after(self, result_id, seq)
        except Exception as e:  # noqa: BLE001 - reported, and the rows are safe in their chunks
            logging.getLogger("asgard_storage").warning("chunks of result %s were not folded: %s", result_id, e)

    def _read_chunks(self, result_id: str) -> "tuple[int, Dict[str, np.ndarray]]":
        """Every chunk's rows, field by field, up to the first chunk missing (from the folds where there are
        some); and how many chunks there are."""
        rows = folds.read_rows(self, result_id)
        return rows.next, rows.fields

    def close_result(self, result_id: str) -> None:
        """Closes a growing result: its rows become ordinary fields (checked against its type, with its
        statistics), and its chunks are removed, the last first. A result already closed is left as it is."""
        result_id = _check_id(result_id, "result")
        record = self._read_json(self._result_path(result_id), f"no result with id {result_id}")
        if "growing" not in record:
            return
        result = self.get_result(result_id)
        chunks, rows = self._read_chunks(result_id)
        data = dict(record.get("data") or {})
        for name in rows:
            array = _storable(np.asarray(result.data[name]))
            if array.size > self.inline_threshold:
                file = f"{result_id}_{name}.npy"
                self._write_array(f"files/{file}", array, create=False)
                data[name] = {"$npy": file, "shape": list(array.shape), "dtype": array.dtype.str}
            else:
                data[name] = _json_safe(array.tolist())
        shapes = {n: list(np.shape(v)) for n, v in result.data.items() if isinstance(v, np.ndarray)}
        problem = validate(record["result_type"], shapes.get)
        arrays = {n: v for n, v in result.data.items() if isinstance(v, np.ndarray)}
        stats = {} if problem else compute_stats(record["result_type"], arrays, record.get("display") or {})
        record["data"] = data
        record.pop("growing", None)
        if stats:
            record["stats"] = stats
        self._write_record(self._result_path(result_id), record)
        run_id = record["run_id"]
        if self._bucket:
            self._announce(run_id)
        else:

            def note(run: Run) -> None:
                run.stats[result_id] = {"type": record["result_type"], **stats}

            self._update_run(run_id, note)
        folds.remove_pieces(self, result_id, chunks)

    def get_result(self, result_id: str) -> Result:
        """A result with every numeric field as a NumPy array: ``.npy`` fields in their stored dtype, inline
        numbers as float64 (null is NaN); other JSON as it is."""
        result_id = _check_id(result_id, "result")
        record = self._read_json(self._result_path(result_id), f"no result with id {result_id}")
        data: Dict[str, Any] = {}
        for name, value in (record.get("data") or {}).items():
            if isinstance(value, dict) and "$npy" in value:
                data[name] = self._read_npy(result_id, name, value)
                continue
            got = _inline_shape(value)
            if got is not None and got[1]:
                data[name] = np.asarray(
                    np.nan if value is None else _nulls_to_nan(value), dtype=np.float64
                )
            else:
                data[name] = value
        growing = record.get("growing") if isinstance(record.get("growing"), dict) else None
        if growing is not None:
            _, rows = self._read_chunks(result_id)
            for name, array in rows.items():
                have = data.get(name)
                data[name] = array if not isinstance(have, np.ndarray) else np.concatenate([have, array])
        return Result(
            id=record["id"],
            run_id=record["run_id"],
            result_type=record["result_type"],
            timestamp=record["timestamp"],
            data=data,
            display=record.get("display") or {},
            growing=growing,
        )

    def _read_npy(self, result_id: str, field_name: str, reference: Mapping[str, Any]) -> np.ndarray:
        file = reference.get("$npy")
        if not (isinstance(file, str) and file.startswith(f"{result_id}_") and file.endswith(".npy")
                and "/" not in file and "\\" not in file):
            raise AsgardStorageError(
                f"results/{result_id}.json is damaged: field `{field_name}`: expected a file of this result in "
                f"files/ ({result_id}_….npy), found {file!r}"
            )
        if self._bucket:
            data = self._read_bytes(f"files/{file}")
            if data is None:
                raise AsgardStorageError(
                    f"results/{result_id}.json is damaged: field `{field_name}`: files/{file} is missing"
                )
            try:
                return np.load(io.BytesIO(data), allow_pickle=False)
            except ValueError as e:
                raise AsgardStorageError(f"files/{file} is damaged: {e}") from None
        path = self.root / "files" / file
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise AsgardStorageError(f"files/{file} is a link that leads outside the storage")
        try:
            return np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise AsgardStorageError(f"results/{result_id}.json is damaged: field `{field_name}`: files/{file} is missing") from None
        except ValueError as e:
            raise AsgardStorageError(f"files/{file} is damaged: {e}") from None
