"""The chunks of a growing result, and the folds that gather them (docs/storage-format.md, "Growing results" and
"Folds"): reading a result's rows from any chunk on, writing the folds a new chunk completes, and removing the
pieces a fold replaced. The same rules as the Rust crate's ``storage::fold``.

A chunk is ``files/{result}_chunk-{seq:08}.json``. When chunk ``64·k − 1`` is written the writer also writes the
level-1 fold of chunks ``64·(k−1) … 64·k − 1`` (``files/{result}_fold1-{start:08}.json``), and when a block of 64
level-1 folds is complete, the level-2 fold of its 4,096 chunks. A reader at chunk ``p`` takes the largest fold
that starts at ``p``, else chunk ``p``, else the fold that holds chunk ``p`` (removed chunks). The pieces a fold
holds are removed when the next fold of the same level is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

import numpy as np

from .values import AsgardStorageError, _json_safe, _nulls_to_nan, _storable, now_rfc3339

if TYPE_CHECKING:  # pragma: no cover
    from .storage import AsgardStorage

FOLD_WIDTH = 64
FOLD_LEVELS = 2


def fold_span(level: int) -> int:
    """How many chunks a fold of ``level`` holds (1 for level 0: a chunk)."""
    return FOLD_WIDTH**level


def chunk_path(result_id: str, seq: int) -> str:
    return f"files/{result_id}_chunk-{seq:08d}.json"


def fold_path(result_id: str, level: int, start: int) -> str:
    return f"files/{result_id}_fold{level}-{start:08d}.json"


@dataclass
class _Piece:
    rel: str
    next: int
    rows: int
    chunk_rows: List[int]
    data: Dict[str, Any]
    skip: int = 0


@dataclass
class Rows:
    """Rows read from a result's chunks: the chunk after the last one read, each field's rows, and the rows of
    each chunk read."""

    next: int
    fields: Dict[str, np.ndarray] = field(default_factory=dict)
    chunk_rows: List[int] = field(default_factory=list)


def _record(storage: "AsgardStorage", rel: str) -> Optional[Dict[str, Any]]:
    raw = storage._read_bytes(rel)
    if raw is None:
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        raise AsgardStorageError(f"{rel} is damaged: {e}") from None
    if not isinstance(record, dict):
        raise AsgardStorageError(f"{rel} is damaged: expected a JSON object")
    return record


def _chunk(storage: "AsgardStorage", result_id: str, seq: int) -> Optional[_Piece]:
    rel = chunk_path(result_id, seq)
    chunk = _record(storage, rel)
    if chunk is None:
        return None
    if chunk.get("result_id") != result_id or chunk.get("seq") != seq:
        raise AsgardStorageError(f"{rel} is damaged: expected chunk {seq} of result {result_id}")
    rows = chunk.get("rows")
    return _Piece(rel, seq + 1, rows, [rows], chunk.get("data") or {})


def _fold(storage: "AsgardStorage", result_id: str, level: int, start: int) -> Optional[_Piece]:
    rel = fold_path(result_id, level, start)
    fold = _record(storage, rel)
    if fold is None:
        return None
    end = start + fold_span(level)
    chunk_rows = fold.get("chunk_rows")
    if (
        fold.get("result_id") != result_id
        or fold.get("level") != level
        or fold.get("start") != start
        or fold.get("end") != end
        or not isinstance(chunk_rows, list)
        or len(chunk_rows) != end - start
    ):
        raise AsgardStorageError(
            f"{rel} is damaged: expected the level-{level} fold of chunks {start}…{end - 1} of result {result_id}"
        )
    return _Piece(rel, end, sum(chunk_rows), list(chunk_rows), fold.get("data") or {})


def _piece_at(storage: "AsgardStorage", result_id: str, p: int, until: Optional[int]) -> Optional[_Piece]:
    def fits(start: int, level: int) -> bool:
        return until is None or start + fold_span(level) <= until

    for level in range(FOLD_LEVELS, 0, -1):
        if p % fold_span(level) == 0 and fits(p, level):
            piece = _fold(storage, result_id, level, p)
            if piece is not None:
                return piece
    piece = _chunk(storage, result_id, p)
    if piece is not None:
        return piece
    for level in range(1, FOLD_LEVELS + 1):
        start = p - p % fold_span(level)
        if start < p and fits(start, level):
            piece = _fold(storage, result_id, level, start)
            if piece is not None:
                taken = p - start
                piece.skip = sum(piece.chunk_rows[:taken])
                piece.chunk_rows = piece.chunk_rows[taken:]
                return piece
    return None


def _piece_fields(storage: "AsgardStorage", result_id: str, piece: _Piece) -> Dict[str, np.ndarray]:
    fields = {}
    for name, value in piece.data.items():
        if isinstance(value, dict) and "$npy" in value:
            array = storage._read_npy(result_id, name, value)
        else:
            array = np.asarray(_nulls_to_nan(value), dtype=np.float64)
        if array.ndim == 0 or array.shape[0] != piece.rows:
            raise AsgardStorageError(
                f"{piece.rel} is damaged: field `{name}`: expected {piece.rows} rows, found shape {list(array.shape)}"
            )
        fields[name] = array[piece.skip :]
    return fields


def read_rows(storage: "AsgardStorage", result_id: str, start: int = 0, until: Optional[int] = None) -> Rows:
    """The rows of chunks ``start … until − 1`` (up to the first missing chunk), field by field."""
    parts: Dict[str, List[np.ndarray]] = {}
    rows = Rows(next=start)
    removed = 0
    while until is None or rows.next < until:
        piece = _piece_at(storage, result_id, rows.next, until)
        if piece is None:
            break
        try:
            fields = _piece_fields(storage, result_id, piece)
        except AsgardStorageError:
            # Removed while it was read (a fold holds its rows now, and the writer went on): read what holds them.
            if removed < 3 and storage._read_bytes(piece.rel) is None:
                removed += 1
                continue
            raise
        for name, array in fields.items():
            parts.setdefault(name, []).append(array)
        rows.chunk_rows.extend(piece.chunk_rows)
        rows.next = piece.next
    rows.fields = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    return rows


def fold_after(storage: "AsgardStorage", result_id: str, seq: int) -> None:
    """After chunk ``seq`` is written: the folds it completes, and the removal of what the folds before them
    replaced. A fold that cannot be made (a field missing from some chunk) is left out."""
    end = seq + 1
    for level in range(1, FOLD_LEVELS + 1):
        span = fold_span(level)
        if end % span:
            break
        start = end - span
        if not _write_fold(storage, result_id, level, start):
            break
        if start >= span:
            _remove_folded(storage, result_id, level, start - span)


def _write_fold(storage: "AsgardStorage", result_id: str, level: int, start: int) -> bool:
    if _fold(storage, result_id, level, start) is not None:
        return True
    end = start + fold_span(level)
    rows = read_rows(storage, result_id, start, end)
    total = sum(rows.chunk_rows)
    if rows.next != end or any(a.shape[0] != total for a in rows.fields.values()):
        return False
    stem = f"{result_id}_fold{level}-{start:08d}"

    def record(data: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "result_id": result_id,
            "level": level,
            "start": start,
            "end": end,
            "chunk_rows": rows.chunk_rows,
            "timestamp": now_rfc3339(),
            "data": data,
        }

    write_piece(storage, fold_path(result_id, level, start), rows.fields, lambda name: f"{stem}_{name}.npy", record)
    return True


def write_piece(storage: "AsgardStorage", rel: str, fields: Dict[str, np.ndarray], file_of, record_of) -> None:
    """Writes a chunk or a fold: each field's array file (``file_of(name)``, when the field is over the inline
    threshold), then the record ``rel`` that ``record_of(data)`` makes, each created once. When a write fails,
    the array files written before it are removed: nothing names them."""

    data: Dict[str, Any] = {}
    written: List[str] = []
    try:
        for name, array in fields.items():
            array = _storable(np.asarray(array))
            if array.size > storage.inline_threshold:
                file = file_of(name)
                storage._write_array(f"files/{file}", array)
                written.append(f"files/{file}")
                data[name] = {"$npy": file, "shape": list(array.shape), "dtype": array.dtype.str}
            else:
                data[name] = _json_safe(array.tolist())
        storage._write_record(rel, record_of(data), create=True)
    except BaseException:
        for rel in written:
            try:
                storage._delete(rel)
            except Exception:
                pass
        raise


def _remove_folded(storage: "AsgardStorage", result_id: str, level: int, start: int) -> None:
    """Removes the pieces one level down that the fold of ``level`` at ``start`` holds, if that fold exists."""
    if _fold(storage, result_id, level, start) is None:
        return
    below = fold_span(level - 1)
    for k in reversed(range(FOLD_WIDTH)):
        p = start + k * below
        remove_piece(storage, result_id, chunk_path(result_id, p) if level == 1 else fold_path(result_id, level - 1, p))


def remove_piece(storage: "AsgardStorage", result_id: str, rel: str) -> None:
    """Removes a chunk or fold record, then the array files of the result it names."""
    raw = storage._read_bytes(rel)
    if raw is None:
        return
    storage._delete(rel)
    try:
        values = (json.loads(raw.decode("utf-8")).get("data") or {}).values()
    except (ValueError, AttributeError):
        values = []
    for value in values:
        file = value.get("$npy") if isinstance(value, dict) else None
        if isinstance(file, str) and file.startswith(f"{result_id}_") and "/" not in file:
            storage._delete(f"files/{file}")


def remove_pieces(storage: "AsgardStorage", result_id: str, chunks: int) -> None:
    """Removes the chunks and folds of a result that had ``chunks`` chunks: the chunks first, the last first, then
    the folds level by level. Pieces are looked for only where they can still be: those a fold one level up
    holds are gone once the next fold of that level exists."""
    rels: List[str] = []
    for level in range(0, FOLD_LEVELS + 1):
        span = fold_span(level)
        above = fold_span(level + 1)
        complete_above = chunks // above if level < FOLD_LEVELS else 0
        low = max(0, (complete_above - 1) * above)
        starts = range(low - low % span, chunks - span + 1, span)
        rels.extend(
            chunk_path(result_id, s) if level == 0 else fold_path(result_id, level, s) for s in reversed(starts)
        )
    for rel in rels:
        remove_piece(storage, result_id, rel)

