"""The capability broker: where a script's ``sdk.*`` calls are served, in the parent process.

The sandbox worker holds nothing; each ``sdk.kv.*`` or ``sdk.host.*`` call arrives here as
``(name, args)`` in the thread that runs the script, inside the app context, and is executed in
the script's tenant scope with the run's user and permissions. KV writes commit on their own
session (state persists even if the run later fails); host functions get JSON and return JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from .. import tenancy
from ..capabilities.kv import KVStore
from ..permissions import granted
from ..runtime import HostCallError

KV_OPERATIONS = ("get", "set", "delete", "incr")


class ScriptBroker:
    """Serves one run. ``capabilities`` lists the names the sandbox exposes under ``sdk``."""

    def __init__(
        self,
        *,
        engine: Any,
        config: Mapping[str, Any],
        exposed: Mapping[str, Any],
        tenant_id: str,
        script_id: str,
        user: Any,
    ):
        self.engine = engine
        self.config = config
        self.exposed = exposed
        self.tenant_id = tenant_id
        self.script_id = script_id
        self.user = user
        self.capabilities = [f"kv.{op}" for op in KV_OPERATIONS]
        self.capabilities += [f"host.{name}" for name in exposed]

    def __call__(self, name: str, args: list[Any]) -> Any:
        with tenancy.tenant_scope(self.tenant_id):
            if name.startswith("kv."):
                return self._kv(name[3:], args)
            if name.startswith("host."):
                return self._host(name[5:], args)
        raise HostCallError("NOT_AVAILABLE", f"sdk.{name} is not available")

    def _kv(self, op: str, args: list[Any]) -> Any:
        with Session(self.engine) as session:
            store = KVStore(
                session,
                self.tenant_id,
                self.script_id,
                max_value_bytes=self.config["JSSCRIPTS_KV_MAX_VALUE_BYTES"],
                max_keys=self.config["JSSCRIPTS_KV_MAX_KEYS"],
            )
            value = store.call(op, args)
            session.commit()
            return value

    def _host(self, name: str, args: list[Any]) -> Any:
        exposed = self.exposed.get(name)
        if exposed is None:
            raise HostCallError("NOT_AVAILABLE", f"sdk.host.{name} does not exist")
        if exposed.permission is not None and not granted(self.user, exposed.permission):
            raise HostCallError(
                "PERMISSION_DENIED", f"sdk.host.{name} needs the permission {exposed.permission!r}"
            )
        return exposed.fn(*args)
