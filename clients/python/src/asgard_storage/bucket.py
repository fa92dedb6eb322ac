"""A storage in a bucket (``s3://bucket/prefix``, ``gs://…``, ``az://…``) through obstore, the Python binding of
the ``object_store`` engine the monitor uses: the same keys as the directory's files, objects created once with
a conditional put, a run file changed by compare-and-swap on its ETag (docs/object-storage.md).

obstore is an optional dependency: ``pip install "./clients/python[s3]"``.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
import time
import uuid
from typing import Callable, List, Optional, Tuple

SCHEMES = ("s3", "s3a", "gs", "az", "abfs", "abfss", "memory")

#: How many times a change of a run file is tried while other writers keep changing it.
CAS_ATTEMPTS = 20


def is_bucket_url(location: object) -> bool:
    """Whether ``location`` names a bucket (``s3://…``) rather than a directory."""
    if not isinstance(location, str) or "://" not in location:
        return False
    return location.split("://", 1)[0].lower() in SCHEMES


class Exists(Exception):
    """A create-only put found an object there."""


class Changed(Exception):
    """A compare-and-swap found another version than the one read."""


class Bucket:
    """The objects under one prefix of a bucket, by their keys relative to it."""

    def __init__(self, url: str):
        try:
            import obstore
            from obstore.store import from_url
        except ImportError:
            raise ImportError(
                f"storage {url} is in a bucket, which needs the optional package obstore: "
                'pip install "asgard-storage[s3]" (from a checkout: pip install "./clients/python[s3]")'
            ) from None
        self._obstore = obstore
        self.url = url.rstrip("/")
        scheme, rest = url.split("://", 1)
        if not rest.split("/", 1)[0]:
            raise ValueError(f"storage {url}: expected a bucket name after {scheme}://")
        options = {
            "retry_config": {
                "max_retries": 4,
                "retry_timeout": _dt.timedelta(seconds=20),
            },
        }
        if scheme.lower() == "memory":
            from obstore.store import MemoryStore

            self._store = MemoryStore()
        else:
            # Client options given here replace those the engine reads from the environment: keep AWS_ALLOW_HTTP.
            client = {"connect_timeout": "5s"}
            if os.environ.get("AWS_ALLOW_HTTP", "").lower() == "true":
                client["allow_http"] = True
            self._store = from_url(url, client_options=client, **options)

    def _errors(self):
        from obstore import exceptions

        return exceptions

    def get(self, key: str) -> Optional[Tuple[bytes, dict]]:
        """An object's bytes and metadata (``e_tag``…); ``None`` when there is none."""
        try:
            got = self._obstore.get(self._store, key)
        except FileNotFoundError:
            return None
        except self._errors().NotFoundError:
            return None
        return bytes(got.bytes()), got.meta

    def exists(self, key: str) -> bool:
        try:
            self._obstore.head(self._store, key)
            return True
        except (FileNotFoundError, self._errors().NotFoundError):
            return False

    def put(self, key: str, data: bytes, mode="overwrite") -> None:
        """Writes an object in one request. ``mode``: ``"overwrite"``, ``"create"`` (raises :class:`Exists`) or
        the metadata of the version read (raises :class:`Changed`)."""
        errors = self._errors()
        if isinstance(mode, dict):
            mode = {k: mode[k] for k in ("e_tag", "version") if mode.get(k) is not None}
        try:
            self._obstore.put(self._store, key, data, mode=mode)
        except errors.AlreadyExistsError:
            raise Exists(key) from None
        except errors.PreconditionError:
            raise Changed(key) from None

    def delete(self, key: str) -> None:
        try:
            self._obstore.delete(self._store, key)
        except (FileNotFoundError, self._errors().NotFoundError):
            pass

    def list(self, prefix: str) -> List[str]:
        """Every key under ``prefix`` (a directory-like prefix ending in ``/``), in key order."""
        keys = [meta["path"] for batch in self._obstore.list(self._store, prefix) for meta in batch]
        return sorted(keys)

    def change(self, key: str, change: Callable[[bytes], Optional[bytes]]) -> bytes:
        """Reads ``key``, and writes ``change(bytes)`` back only if no other writer changed it meanwhile; reads
        and changes again when one did. ``change`` returning ``None`` writes nothing. The bytes written (or
        read, when nothing was written)."""
        for attempt in range(CAS_ATTEMPTS):
            got = self.get(key)
            if got is None:
                raise FileNotFoundError(key)
            data, meta = got
            new = change(data)
            if new is None:
                return data
            try:
                self.put(key, new, mode=meta)
                return new
            except Changed:
                base = 0.005 * (2 ** min(attempt, 7))
                time.sleep(base + random.uniform(0, base))
        raise OSError(f"{key}: another writer changed it at the same time, {CAS_ATTEMPTS} times in a row; not changed")

    def announce(self, run_id: str, chunk: "Optional[Tuple[str, int]]" = None) -> None:
        """Tells monitors that a run changed: an empty ``journal/{micros}-{run}-{nonce}``, written after the
        change (docs/storage-format.md, "In a bucket"); for chunk ``seq`` of a growing result ``chunk =
        (result_id, seq)``, ``…-{nonce}-chunk-{result}-{seq:08}``, which a monitor publishes as the append."""
        micros = time.time_ns() // 1000
        nonce = uuid.uuid4().hex[:8]
        suffix = f"-chunk-{chunk[0]}-{chunk[1]:08d}" if chunk else ""
        try:
            self.put(f"journal/{micros:016d}-{run_id}-{nonce}{suffix}", b"", mode="create")
        except Exists:
            pass
