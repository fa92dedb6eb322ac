"""The value helpers and errors every part of the package shares: the storage (``storage.py``), the folds
(``folds.py``) and the buffered writer (``series.py``) import them from here, so none imports another for
them."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np


class AsgardStorageError(Exception):
    """Something in the storage, or asked of it, is not as the format requires."""


class NotFound(AsgardStorageError, KeyError):
    """No run or result with that id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidData(AsgardStorageError, ValueError):
    """A result's data does not fit its type, or cannot be stored."""


def now_rfc3339() -> str:
    """The current time as RFC 3339 UTC with microseconds, as every record's ``timestamp``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Element types the monitor reads from .npy files; others are converted to the nearest of these.
_READABLE = {"<f8", "<f4", "<i8", "<i4", "<u4", "|u1", "|b1"}
_CONVERT = {"f2": np.float32, "i1": np.int32, "i2": np.int32, "u2": np.uint32}

def _json_safe(value: Any) -> Any:
    """Inline JSON: NaN and infinities become null (a missing value), NumPy scalars plain numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _storable(array: np.ndarray) -> np.ndarray:
    """The array in an element type the monitor reads, little-endian."""
    dtype = array.dtype
    key = f"{dtype.kind}{dtype.itemsize}"
    if key in _CONVERT:
        array = array.astype(_CONVERT[key])
    elif key == "u8":
        if array.size and array.max() > np.iinfo(np.int64).max:
            raise InvalidData("uint64 values above 2**63 - 1 cannot be stored: convert them to float64")
        array = array.astype(np.int64)
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    if array.dtype.str not in _READABLE:
        raise InvalidData(f"arrays of {array.dtype} cannot be stored: expected f8, f4, i8, i4, u4, u1 or bool")
    return array


def _nulls_to_nan(value: Any) -> Any:
    if value is None:
        return math.nan
    if isinstance(value, list):
        return [_nulls_to_nan(v) for v in value]
    return value
