"""The one place that scopes the extension's data to the current tenant.

Mechanism (why it cannot be forgotten by a view):

* The current tenant is a :class:`contextvars.ContextVar`, set only through the context managers
  :func:`tenant_scope` (views, via the host's tenant loader; Huey tasks, with the tenant id they
  receive) and :func:`all_tenants` (system jobs: reaper, cron claim, retention, dispatch).
* A ``do_orm_execute`` listener on every SQLAlchemy ``Session`` adds
  ``with_loader_criteria(TenantScoped, tenant_id == current)`` to each ORM SELECT, UPDATE and
  DELETE, so joins, subqueries, relationship loads and ``session.get`` are filtered too.
  Outside any scope, a statement that touches an extension table raises
  :class:`TenantScopeError` instead of returning every tenant's rows.
* A ``before_flush`` listener stamps ``tenant_id`` on new rows and refuses to insert, update or
  delete a row of another tenant, or to move a row between tenants.
* ``session.get`` can answer from the identity map without SQL; :func:`get` and
  :func:`get_or_404` re-check ``tenant_id``, so a row of another tenant always looks missing.
* The few statements on a run's hot path skip the ORM (its per-statement work costs more than
  the statement): they are built once with :func:`tenant_bound`, which refuses a statement
  that does not compare ``tenant_id`` with the :data:`TENANT` parameter, and run through
  :func:`execute_bound`, which fills that parameter from the current scope.

The listeners are installed once per process (``init_app``) on the ``Session`` class, so
they also guard sessions that tasks open themselves; they only ever act on extension models.
"""

from __future__ import annotations

import contextvars
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import BindParameter, Executable, Result, Table, bindparam
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors

from .models import TenantScoped, metadata

T = TypeVar("T", bound=TenantScoped)

_ALL = object()  # sentinel value of the context var inside all_tenants()
_current: contextvars.ContextVar[Any] = contextvars.ContextVar("jsscripts_tenant", default=None)
_TENANT_RE = re.compile(r"[^\s]{1,64}")
_EXTENSION_TABLES = frozenset(metadata.tables)
TENANT = bindparam("jsscripts_tenant")  # the tenant of a statement built with tenant_bound


class TenantScopeError(RuntimeError):
    """Extension data was touched outside a tenant scope, or across tenants."""


def _check_tenant_id(tenant_id: Any) -> str:
    if not isinstance(tenant_id, str) or not _TENANT_RE.fullmatch(tenant_id):
        raise TenantScopeError(f"invalid tenant id {tenant_id!r}: a 1-64 character string")
    return tenant_id


@contextmanager
def tenant_scope(tenant_id: str) -> Iterator[str]:
    """Run the block as ``tenant_id``: every extension query and write is limited to it."""
    token = _current.set(_check_tenant_id(tenant_id))
    try:
        yield tenant_id
    finally:
        _current.reset(token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Run the block unscoped, for system jobs only (reaper, cron claim, retention, dispatch).

    Reads see every tenant's rows; new rows must carry an explicit ``tenant_id``.
    """
    token = _current.set(_ALL)
    try:
        yield
    finally:
        _current.reset(token)


def current_tenant() -> str | None:
    """The tenant of the enclosing :func:`tenant_scope`, or None (unscoped or all tenants)."""
    value = _current.get()
    return value if isinstance(value, str) else None


def in_all_tenants() -> bool:
    """True inside :func:`all_tenants` (and not inside a nested :func:`tenant_scope`)."""
    return _current.get() is _ALL


def require_tenant() -> str:
    """The current tenant, or :class:`TenantScopeError` when there is none."""
    tenant = current_tenant()
    if tenant is None:
        raise TenantScopeError("this operation needs a tenant scope (use tenant_scope())")
    return tenant


# --- reads ---------------------------------------------------------------------------------


def _touches_extension_tables(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    for element in visitors.iterate(state.statement):
        if isinstance(element, Table) and element.name in _EXTENSION_TABLES:
            return True
    return False


def _scope_statement(state: ORMExecuteState) -> None:
    if state.is_column_load:
        # Column loads refresh a row that was already loaded (by primary key): no new rows.
        return
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    value = _current.get()
    if value is _ALL:
        return
    if value is None:
        if _touches_extension_tables(state):
            raise TenantScopeError(
                "query on flask-jsscripts tables outside a tenant scope: wrap it in "
                "tenant_scope(tenant_id), or all_tenants() for a system job"
            )
        return
    if state.is_insert:
        _scope_insert_parameters(state, value)
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == value,
            include_aliases=True,
            track_closure_variables=True,
        )
    )


def _scope_insert_parameters(state: ORMExecuteState, tenant: str) -> None:
    """ORM bulk ``insert(Model)`` with parameter dicts: stamp or check ``tenant_id``."""
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    for row in rows:
        if not isinstance(row, dict):
            continue
        if row.setdefault("tenant_id", tenant) != tenant:
            raise TenantScopeError(f"cannot insert a row of tenant {row['tenant_id']!r}")


# --- writes --------------------------------------------------------------------------------

_ALLOWED_KEY = "jsscripts_unscoped_inserts"


def allow_unscoped_insert(session: Session, obj: TenantScoped) -> None:
    """Let ``obj`` (with an explicit, already-checked ``tenant_id``) be inserted by a flush
    that may happen outside any tenant scope, e.g. ``publish()`` in the host's transaction."""
    _check_tenant_id(obj.tenant_id)
    session.info.setdefault(_ALLOWED_KEY, weakref.WeakSet()).add(obj)


def _guard_flush(session: Session, flush_context: Any, instances: Any) -> None:
    value = _current.get()
    allowed = session.info.get(_ALLOWED_KEY, ())
    for obj in session.new:
        if not isinstance(obj, TenantScoped) or obj in allowed:
            continue
        if value is _ALL:
            continue  # system jobs name the tenant; composite FKs copy it from the parent
        if value is None:
            raise TenantScopeError(f"insert of {type(obj).__name__} outside a tenant scope")
        if obj.tenant_id is None:
            obj.tenant_id = value
        elif obj.tenant_id != value:
            raise TenantScopeError(
                f"insert of a {type(obj).__name__} of another tenant ({obj.tenant_id!r})"
            )
    for kind, objects in (("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, TenantScoped):
                continue
            history = _tenant_history(obj)
            if history.deleted and history.added:
                raise TenantScopeError("tenant_id of an existing row cannot change")
            if value is _ALL:
                continue
            if value is None:
                raise TenantScopeError(f"{kind} of {type(obj).__name__} outside a tenant scope")
            if obj.tenant_id != value:
                raise TenantScopeError(f"{kind} of a {type(obj).__name__} of another tenant")


def _tenant_history(obj: TenantScoped) -> Any:
    from sqlalchemy.orm.attributes import get_history

    return get_history(obj, "tenant_id")


# What every Session listens for; registered by flask_jsscripts.listeners.install (init_app).
SESSION_LISTENERS = (("do_orm_execute", _scope_statement), ("before_flush", _guard_flush))


# --- prebuilt statements ------------------------------------------------------------------


def tenant_bound(statement: Executable) -> Executable:
    """Check that a Core statement on extension tables names its tenant as :data:`TENANT`
    (``table.c.tenant_id == TENANT`` in each WHERE, ``tenant_id=TENANT`` in an INSERT's
    values); build such statements once and run them with :func:`execute_bound`."""
    if not any(
        isinstance(element, BindParameter) and element.key == TENANT.key
        for element in visitors.iterate(statement)
    ):
        raise TenantScopeError("a tenant-bound statement must use tenancy.TENANT")
    return statement


def execute_bound(session: Session, statement: Executable, params: dict[str, Any]) -> Result:
    """Run a :func:`tenant_bound` statement in the session's transaction as the current
    tenant, without the ORM's per-statement work (the run hot path)."""
    return session.connection().execute(statement, {**params, TENANT.key: require_tenant()})


# --- single-row access ---------------------------------------------------------------------


def get(session: Session, model: type[T], ident: Any) -> T | None:
    """``session.get`` for the current tenant: another tenant's row is returned as None.

    Also guards against the identity map, which ``session.get`` consults without SQL.
    """
    tenant = require_tenant() if not in_all_tenants() else None
    if ident is None or not isinstance(ident, str | int):
        return None
    obj = session.get(model, ident)
    if obj is None or (tenant is not None and obj.tenant_id != tenant):
        return None
    return obj


def get_or_404(model: type[T], ident: Any, session: Session | None = None) -> T:
    """Fetch one row of the current tenant or abort 404 (foreign rows look exactly missing)."""
    if session is None:
        from flask import current_app

        session = current_app.extensions["jsscripts"].db.session
    obj = get(session, model, ident)
    if obj is None:
        abort(404)
    return obj
