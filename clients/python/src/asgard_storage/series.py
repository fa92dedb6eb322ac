"""The buffered writer of a growing result (docs/storage-format.md, "Growing results").

Rows are appended in memory and written as one chunk per flush. The first append after a quiet interval is
written at once, so a slow computation's every row is seen within milliseconds; appends that come faster are
gathered and written by a background thread at most once per interval, so 10,000 appends a second make ten
files, not 10,000.

    with storage.open_result(run.id, "OptimizationResult", {"param_names": ["a", "b"]}) as series:
        for step in range(1000):
            series.append(step=step, loss=loss, params=[a, b])

Leaving the ``with`` block normally closes the result; leaving it by an exception writes what is buffered and
leaves the result open, which the monitor shows as unfinished once the run has ended.
"""

import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import numpy as np

from . import folds
from .values import InvalidData

if TYPE_CHECKING:
    from .storage import AsgardStorage


class Series:
    """A growing result being written. Made by :meth:`AsgardStorage.open_result`."""

    def __init__(self, storage: "AsgardStorage", result_id: str, flush_interval: float = 0.1):
        self._storage = storage
        self.id = result_id
        self._interval = float(flush_interval)
        self._lock = threading.Condition()
        #: Each field's row shape and rows waiting, in the order of the first append.
        self._fields: Dict[str, Tuple[Tuple[int, ...], List[np.ndarray]]] = {}
        self._rows = 0
        self._since: Optional[float] = None
        self._flushed: Optional[float] = None
        self._seq = 0
        self._failed: Optional[BaseException] = None
        self._closed = False
        # Chunks written that complete a fold, for the thread.
        self._to_fold: List[int] = []
        self._thread = threading.Thread(target=self._flush_when_due, name=f"asgard-series-{result_id[:8]}", daemon=True)
        self._thread.start()

    # Writing ---------------------------------------------------------------------------------------------

    def append(self, **row: Any) -> None:
        """Appends one row to each field named: ``step=3, loss=0.12, params=[a, b]`` of an optimisation, a path
        to an ensemble's ``paths``, a frame to an animation's ``frames``, a grid and its time (``values``, ``t``)
        to a field's snapshots. Every append names the same fields, each row shaped as before."""
        self._add({name: np.asarray(value, dtype=np.float64)[None, ...] for name, value in row.items()})

    def extend(self, **rows: Any) -> None:
        """Appends several rows at once: each field's array has the rows along its first axis, the same count
        in every field."""
        self._add({name: np.asarray(value, dtype=np.float64) for name, value in rows.items()})

    def _add(self, rows: Dict[str, np.ndarray]) -> None:
        counts = {name: a.shape[0] if a.ndim else None for name, a in rows.items()}
        if any(c is None for c in counts.values()) or len(set(counts.values())) > 1:
            raise InvalidData(f"every field of one append needs the same number of rows, found {counts}")
        with self._lock:
            self._check(rows)
            for name, array in rows.items():
                if name in self._fields:
                    self._fields[name][1].append(array)
                else:
                    self._fields[name] = (array.shape[1:], [array])
            self._rows += next(iter(counts.values()), 0)
            now = time.monotonic()
            if self._since is None:
                self._since = now
            # The first row after a quiet interval goes out now; rows that come faster wait for the thread.
            if self._flushed is None or now - self._flushed >= self._interval:
                self._write()
            else:
                self._lock.notify()

    def _check(self, rows: Dict[str, np.ndarray]) -> None:
        if self._closed:
            raise InvalidData(f"result {self.id} is closed")
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise InvalidData(f"an earlier write failed: {failed}") from failed
        for name, array in rows.items():
            known = self._fields.get(name)
            if known is not None and known[0] != array.shape[1:]:
                raise InvalidData(
                    f"appended field `{name}`: expected a row of shape {list(known[0])} as before, "
                    f"found {list(array.shape[1:])}"
                )
        if self._fields and set(rows) != set(self._fields):
            raise InvalidData(
                f"every append names the same fields: {sorted(self._fields)}, found {sorted(rows)}"
            )

    def flush(self) -> None:
        """Writes the rows buffered now."""
        with self._lock:
            if self._failed is not None:
                failed, self._failed = self._failed, None
                raise InvalidData(f"an earlier write failed: {failed}") from failed
            self._write()

    def close(self) -> None:
        """Writes what is buffered and closes the result: its rows become ordinary fields, checked against its
        type, with its statistics."""
        self._stop()
        self.flush()
        self._storage.close_result(self.id)

    def _stop(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join()

    def __enter__(self) -> "Series":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            # The computation failed: keep what it wrote, and leave the result open (unfinished). A failure to
            # write now must not hide the computation's own exception.
            self._stop()
            with self._lock:
                try:
                    self._write()
                except Exception as e:  # noqa: BLE001
                    warnings.warn(f"rows of result {self.id} were not written: {e}", stacklevel=2)

    # The chunks ------------------------------------------------------------------------------------------

    def _write(self) -> None:
        """Writes the buffered rows as the next chunk; kept until written, so a failed write is tried again."""
        if self._rows == 0:
            return
        rows = {name: np.concatenate(parts) for name, (_, parts) in self._fields.items()}
        self._flushed = time.monotonic()
        self._storage._append_chunk(self.id, self._seq, rows, fold=False)
        # A chunk that completes a fold: folded by the thread, outside the lock (appends do not wait for it).
        if (self._seq + 1) % folds.FOLD_WIDTH == 0:
            self._to_fold.append(self._seq)
            self._lock.notify()
        self._seq += 1
        self._rows = 0
        self._since = None
        for _, parts in self._fields.values():
            parts.clear()

    def _flush_when_due(self) -> None:
        with self._lock:
            while not self._closed:
                if self._to_fold:
                    pending, self._to_fold = self._to_fold, []
                    self._lock.release()
                    try:
                        for seq in pending:
                            self._storage._fold_chunks(self.id, seq)
                    finally:
                        self._lock.acquire()
                    continue
                if self._since is None:
                    self._lock.wait()  # until an append or close wakes it
                    continue
                due = (self._flushed if self._flushed is not None else self._since) + self._interval
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                try:
                    self._write()
                except BaseException as e:  # reported by the next call
                    self._failed = e
                    self._since = None
