"""Write and read Asgard Monitor storage from Python: runs, results and their arrays, in the format of
docs/storage-format.md, atomically and safely with several writer processes at once."""

from .schema import KNOWN_RESULT_TYPES
from .storage import (
    DEFAULT_INLINE_THRESHOLD,
    AsgardStorage,
    AsgardStorageError,
    InvalidData,
    NotFound,
    Result,
    Run,
)
from .series import Series

__all__ = [
    "AsgardStorage",
    "AsgardStorageError",
    "DEFAULT_INLINE_THRESHOLD",
    "InvalidData",
    "KNOWN_RESULT_TYPES",
    "NotFound",
    "Result",
    "Run",
    "Series",
]
