"""``sdk.kv``: small durable state per tenant and per script, in the database.

Values are JSON, capped in size and nesting, with numbers a script can hold (finite, within a
double's range: PostgreSQL's json refuses Infinity, and SQLite stored it where no script could
read it back); keys are capped in length and in number per script; a value may expire
(``ttlSeconds``). Expired keys read as missing and are removed lazily.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import KVEntry, utcnow
from ..runtime import HostCallError, jsonvalues

MAX_KEY_LENGTH = 255


class KVStore:
    """The KV of one script, bound to a session inside the script's tenant scope."""

    def __init__(
        self,
        session: Session,
        tenant_id: str,
        script_id: str,
        *,
        max_value_bytes: int,
        max_keys: int,
    ):
        self.session = session
        self.tenant_id = tenant_id
        self.script_id = script_id
        self.max_value_bytes = max_value_bytes
        self.max_keys = max_keys

    def _key(self, key: Any) -> str:
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
            raise HostCallError(
                "INVALID_KEY", f"a key is a string of 1-{MAX_KEY_LENGTH} characters"
            )
        return key

    def _row(self, key: str, *, lock: bool = False) -> KVEntry | None:
        query = select(KVEntry).where(KVEntry.script_id == self.script_id, KVEntry.key == key)
        if lock:
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        if row is not None and row.expires_at is not None and row.expires_at <= utcnow():
            self.session.delete(row)
            self.session.flush()
            return None
        return row

    def get(self, key: Any, default: Any = None) -> Any:
        key = self._key(key)
        row = self._row(key)
        if row is None:
            return default
        try:  # a value stored before numbers were checked (SQLite kept Infinity)
            jsonvalues.check(row.value)
        except jsonvalues.JSONValueError as exc:
            if exc.reason == "out_of_range":
                raise HostCallError(
                    "NUMBER_OUT_OF_RANGE",
                    f"the value of {key!r} holds a number a script cannot read; "
                    "set or delete the key",
                ) from None
        return row.value

    def set(self, key: Any, value: Any, ttl_seconds: Any = None) -> bool:
        key = self._key(key)
        try:
            jsonvalues.check(value)
            size = len(json.dumps(value, allow_nan=False).encode())
        except (TypeError, ValueError) as exc:
            detail = exc.message if isinstance(exc, jsonvalues.JSONValueError) else "not JSON"
            raise HostCallError("INVALID_VALUE", f"the value must be JSON ({detail})") from None
        if size > self.max_value_bytes:
            raise HostCallError(
                "VALUE_TOO_LARGE", f"the value is {size} bytes; the limit is {self.max_value_bytes}"
            )
        expires = None
        if ttl_seconds is not None:
            if (
                isinstance(ttl_seconds, bool)
                or not isinstance(ttl_seconds, (int, float))
                or not 0 < ttl_seconds <= 10 * 365 * 86400
            ):
                raise HostCallError("INVALID_TTL", "ttlSeconds must be a positive number")
            expires = utcnow() + timedelta(seconds=ttl_seconds)
        row = self._row(key, lock=True)
        if row is None:
            count = (
                self.session.scalar(
                    select(func.count())
                    .select_from(KVEntry)
                    .where(KVEntry.script_id == self.script_id)
                )
                or 0
            )
            if count >= self.max_keys:
                raise HostCallError("TOO_MANY_KEYS", f"a script may keep {self.max_keys} keys")
            row = KVEntry(tenant_id=self.tenant_id, script_id=self.script_id, key=key)
            self.session.add(row)
        row.value = value
        row.expires_at = expires
        row.updated_at = utcnow()
        self._flush()
        return True

    def delete(self, key: Any) -> bool:
        key = self._key(key)
        existed = self._row(key) is not None
        self.session.execute(
            delete(KVEntry).where(KVEntry.script_id == self.script_id, KVEntry.key == key)
        )
        return existed

    def incr(self, key: Any, by: Any = 1) -> int | float:
        key = self._key(key)
        if isinstance(by, bool) or not isinstance(by, (int, float)) or not _in_range(by):
            raise HostCallError("INVALID_VALUE", "incr() adds a finite number")
        row = self._row(key, lock=True)
        current = 0 if row is None else row.value
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise HostCallError("NOT_A_NUMBER", f"the value of {key!r} is not a number")
        value = current + by
        if not _in_range(value):  # 1e308 + 1e308 is Infinity: nothing is stored
            raise HostCallError(
                "NUMBER_OUT_OF_RANGE",
                f"incr() would take {key!r} beyond the range of a JavaScript number; "
                "the value was not changed",
            )
        if row is None:
            self.set(key, value)
        else:
            row.value = value
            row.updated_at = utcnow()
            self._flush()
        return value

    def _flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError:
            # a concurrent run inserted the same key first
            self.session.rollback()
            raise HostCallError("CONFLICT", "the key was written concurrently; retry") from None

    def call(self, op: str, args: list[Any]) -> Any:
        """Dispatch ``sdk.kv.<op>(*args)`` from a script."""
        handlers = {"get": self.get, "set": self.set, "delete": self.delete, "incr": self.incr}
        handler = handlers.get(op)
        if handler is None:
            raise HostCallError("NOT_AVAILABLE", f"sdk.kv.{op} does not exist")
        try:
            return handler(*args)
        except TypeError:
            raise HostCallError("BAD_ARGUMENTS", f"wrong arguments for sdk.kv.{op}") from None


def _in_range(number: int | float) -> bool:
    try:
        jsonvalues.check(number)
    except jsonvalues.JSONValueError:
        return False
    return True
