"""The extension's tables, declared once and bound to the host's ``db`` at ``init_app``.

How the models meet the host's ``SQLAlchemy()`` object (why this shape):

* The tables live on a module-level :data:`metadata` with an explicit naming convention, and the
  classes come from this module's own :class:`Base` (a plain SQLAlchemy ``DeclarativeBase``),
  not from ``db.Model``. The host's ``db`` is only known at ``init_app`` time, while a host must
  be able to ``from flask_jsscripts.models import Script`` at import time; a model factory would
  give every app its own classes and break that import.
* Plain declarative classes work with ``db.session`` as they are: Flask-SQLAlchemy's session
  picks the engine from the table's metadata bind key, and a metadata without one gets the
  default engine. So ``db.session.execute(select(Script))`` and ``db.session.get(Script, id)``
  just work. (There is no ``Script.query``: use ``select()``.)
* ``init_app`` copies these tables into the host's ``db.metadata`` (:func:`attach_to`) so that
  ``db.create_all()`` / ``db.drop_all()`` in the host's tests cover them too. Every constraint and
  index has a fixed name, so the copies produce exactly the DDL of the migrations whatever
  naming convention the host uses. The host's own autogenerate is told to ignore ``jsscripts_*``
  tables (see :mod:`flask_jsscripts.migrations`): the extension's schema is owned by the
  migrations it ships.

Multi-tenancy: every table has ``tenant_id`` and tenant-first indexes. Children reference a
script through the composite key ``(tenant_id, script_id) -> scripts(tenant_id, id)``, so the
database itself refuses a row that points at another tenant's script. Scoping of queries is done
in one place, :mod:`flask_jsscripts.tenancy`, which keys on the :class:`TenantScoped` mixin.

Cascades: foreign keys carry ``ON DELETE CASCADE`` (only between these tables; nothing refers
to host tables). Large collections (executions, KV, dead letters) are write-only relationships
with ``passive_deletes=True``: deleting a script leaves their removal to the database. SQLite
only honours that with ``PRAGMA foreign_keys=ON``; without it, delete those rows explicitly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    WriteOnlyMapped,
    declared_attr,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.types import TypeDecorator

from .runtime import STATUSES as RUNTIME_STATUSES
from .runtime import CompiledScript

TABLE_PREFIX = "jsscripts_"

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    # One foreign key per (table, referred table) in this schema keeps names short (<63).
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

SCRIPT_TYPES = ("manual", "scheduled", "http", "event")
SCRIPT_STATUSES = ("draft", "active", "paused", "disabled", "archived")
EXECUTION_TRIGGERS = ("manual", "cron", "http", "event", "api")
EXECUTION_STATUSES = ("pending", "running", "completed", "failed", "timeout", "cancelled")
FINAL_EXECUTION_STATUSES = ("completed", "failed", "timeout", "cancelled")
# Why a run ended: how the runtime reported it, or a cancellation.
END_REASONS = (*RUNTIME_STATUSES, "cancelled", "skipped")
_EXECUTION_CHOICES = {
    "trigger": EXECUTION_TRIGGERS,
    "status": EXECUTION_STATUSES,
    "end_reason": END_REASONS,
}
AUTH_MODES = ("session", "token", "public")
OUTBOX_STATUSES = ("pending", "dispatching", "dispatched", "failed", "refused")


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the only kind of timestamp stored)."""
    return datetime.now(UTC)


def new_id() -> str:
    """Random UUID string: ids are unguessable, so a guessed id is no way into another tenant."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back aware UTC datetimes.

    SQLite stores no offset and PostgreSQL returns the session time zone; normalising here
    means code above never compares naive with aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _script_fk(table: str) -> ForeignKeyConstraint:
    """Composite FK to the owning script: a row can never point at another tenant's script."""
    return ForeignKeyConstraint(
        ["tenant_id", "script_id"],
        ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_jsscripts_scripts",
    )


def _check_choice(key: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value is not None and value not in choices:
        raise ValueError(f"{key} must be one of {', '.join(choices)}; got {value!r}")
    return value


class Base(DeclarativeBase):
    """Declarative base of the extension's models (its own, never the host's ``db.Model``)."""

    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class TenantScoped:
    """Mixin of every tenant-owned model; :mod:`flask_jsscripts.tenancy` scopes on it."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, sort_order=-10)
    tenant_id: Mapped[str] = mapped_column(String(64), nullable=False, sort_order=-9)


class Script(TenantScoped, Base):
    __tablename__ = "jsscripts_scripts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_jsscripts_scripts_tenant_id_name"),
        # Target of the children's composite foreign keys.
        UniqueConstraint("tenant_id", "id", name="uq_jsscripts_scripts_tenant_id_id"),
        Index("ix_jsscripts_scripts_tenant_id_status_type", "tenant_id", "status", "type"),
        Index("ix_jsscripts_scripts_tenant_id_updated_at", "tenant_id", "updated_at"),
        CheckConstraint(_in("type", SCRIPT_TYPES), name="type"),
        CheckConstraint(_in("status", SCRIPT_STATUSES), name="status"),
        CheckConstraint("current_version >= 0", name="current_version"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    limits: Mapped[dict[str, Any]] = mapped_column(default=lambda: {})
    tags: Mapped[list[Any]] = mapped_column(default=lambda: [])
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[str | None] = mapped_column(String(64))

    versions: Mapped[list[ScriptVersion]] = relationship(
        back_populates="script",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ScriptVersion.number",
    )
    subscriptions: Mapped[list[EventSubscription]] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )
    schedule: Mapped[Schedule | None] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )
    endpoints: Mapped[list[HttpEndpoint]] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )
    executions: WriteOnlyMapped[Execution] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )
    kv_entries: WriteOnlyMapped[KVEntry] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )
    dead_letters: WriteOnlyMapped[DeadLetter] = relationship(
        back_populates="script", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("type", "status")
    def _validate_choice(self, key: str, value: str) -> str | None:
        return _check_choice(key, value, {"type": SCRIPT_TYPES, "status": SCRIPT_STATUSES}[key])


class _ScriptChild(TenantScoped):
    """A row owned by one script (composite FK, cascade on delete)."""

    script_id: Mapped[str] = mapped_column(String(36), sort_order=-8)

    @declared_attr
    def script(cls) -> Mapped[Script]:  # noqa: N805 - declared_attr receives the class
        backref = {
            "ScriptVersion": "versions",
            "EventSubscription": "subscriptions",
            "Schedule": "schedule",
            "HttpEndpoint": "endpoints",
            "Execution": "executions",
            "KVEntry": "kv_entries",
            "DeadLetter": "dead_letters",
        }[cls.__name__]
        return relationship(Script, back_populates=backref)


class ScriptVersion(_ScriptChild, Base):
    """One immutable version of a script's source (only the compile cache may be filled later)."""

    __tablename__ = "jsscripts_script_versions"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "script_id",
            "number",
            name="uq_jsscripts_script_versions_tenant_id_script_id_number",
        ),
        _script_fk("jsscripts_script_versions"),
        CheckConstraint("number >= 1", name="number"),
    )

    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    compiled: Mapped[str | None] = mapped_column(Text)
    compile_hash: Mapped[str | None] = mapped_column(String(64))
    #: What made ``compiled``; NULL for forms stored before compilers were recorded.
    compiler: Mapped[str | None] = mapped_column(String(80))
    author: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    MUTABLE_COLUMNS = frozenset({"compiled", "compile_hash", "compiler"})

    def compiled_by(self, compiler: str | None) -> CompiledScript | None:
        """The stored compiled form if ``compiler`` made it; None when it must be compiled."""
        if self.compiled is None or not self.compile_hash or self.compiler != compiler:
            return None
        return CompiledScript(
            self.compile_hash, self.compiled, self.compiled != self.source, self.compiler or ""
        )

    def store_compiled(self, compiled: CompiledScript) -> None:
        self.compiled, self.compile_hash = compiled.code, compiled.source_hash
        self.compiler = compiled.compiler or None


@event.listens_for(ScriptVersion, "before_update")
def _versions_are_immutable(mapper: Any, connection: Any, target: ScriptVersion) -> None:
    for attr in mapper.column_attrs:
        if (
            attr.key not in ScriptVersion.MUTABLE_COLUMNS
            and get_history(target, attr.key).has_changes()
        ):
            raise ValueError(f"script versions are immutable (tried to change {attr.key!r})")


class Execution(_ScriptChild, Base):
    """One run of one script version; the source of truth for the async machinery."""

    __tablename__ = "jsscripts_executions"
    __table_args__ = (
        Index(
            "ix_jsscripts_executions_tenant_id_script_id_created_at",
            "tenant_id",
            "script_id",
            "created_at",
        ),
        Index(
            "ix_jsscripts_executions_tenant_id_status_created_at",
            "tenant_id",
            "status",
            "created_at",
        ),
        # System jobs across tenants: the reaper and the retention cleanup.
        Index("ix_jsscripts_executions_status_deadline_at", "status", "deadline_at"),
        Index("ix_jsscripts_executions_created_at", "created_at"),
        # One execution per (event, script, attempt): re-driving an event can never run it
        # twice (NULL event ids, the runs of other triggers, never collide).
        Index(
            "ix_jsscripts_executions_tenant_id_event_id_script_id_attempt",
            "tenant_id",
            "event_id",
            "script_id",
            "attempt",
            unique=True,
        ),
        _script_fk("jsscripts_executions"),
        CheckConstraint(_in("trigger", EXECUTION_TRIGGERS), name="trigger"),
        CheckConstraint(_in("status", EXECUTION_STATUSES), name="status"),
        CheckConstraint("attempt >= 1", name="attempt"),
    )

    version: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Why the run ended, finer than status: memory, output_limit, host_call_limit, crashed...
    end_reason: Mapped[str | None] = mapped_column(String(32))
    input: Mapped[Any | None] = mapped_column(JSON)
    # Deferred: loaded only when read (up to JSSCRIPTS_MAX_OUTPUT_BYTES of JSON); pages show a
    # head of its text instead (services.outputs)
    output: Mapped[Any | None] = mapped_column(JSON, deferred=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    console: Mapped[list[Any]] = mapped_column(default=lambda: [])
    logs: Mapped[list[Any]] = mapped_column(default=lambda: [])
    metrics: Mapped[dict[str, Any]] = mapped_column(default=lambda: {})
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    event_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    deadline_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    @validates("trigger", "status", "end_reason")
    def _validate_choice(self, key: str, value: str | None) -> str | None:
        return _check_choice(key, value, _EXECUTION_CHOICES[key])


class EventSubscription(_ScriptChild, Base):
    """A script listening to events whose type matches a pattern, with an optional filter tree."""

    __tablename__ = "jsscripts_event_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "script_id",
            "event_type",
            name="uq_jsscripts_event_subscriptions_tenant_id_script_id_event_type",
        ),
        Index("ix_jsscripts_event_subscriptions_tenant_id_event_type", "tenant_id", "event_type"),
        _script_fk("jsscripts_event_subscriptions"),
    )

    event_type: Mapped[str] = mapped_column(String(200))  # pattern, e.g. "order.*"
    filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Schedule(_ScriptChild, Base):
    """The cron schedule of a script (one per script), with the claim/overlap bookkeeping."""

    __tablename__ = "jsscripts_schedules"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "script_id", name="uq_jsscripts_schedules_tenant_id_script_id"
        ),
        # System job across tenants: the every-minute cron claim.
        Index("ix_jsscripts_schedules_next_run_at", "next_run_at"),
        _script_fk("jsscripts_schedules"),
    )

    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    next_run_at: Mapped[datetime | None] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
    running_execution_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HttpEndpoint(_ScriptChild, Base):
    """A path under ``JSSCRIPTS_ENDPOINT_PREFIX`` answered by a script (unique per tenant)."""

    __tablename__ = "jsscripts_http_endpoints"
    __table_args__ = (
        UniqueConstraint("tenant_id", "path", name="uq_jsscripts_http_endpoints_tenant_id_path"),
        Index("ix_jsscripts_http_endpoints_tenant_id_script_id", "tenant_id", "script_id"),
        _script_fk("jsscripts_http_endpoints"),
        CheckConstraint(_in("auth_mode", AUTH_MODES), name="auth_mode"),
    )

    path: Mapped[str] = mapped_column(String(255))
    methods: Mapped[list[Any]] = mapped_column(default=lambda: ["GET"])
    auth_mode: Mapped[str] = mapped_column(String(16), default="session")
    token_hash: Mapped[str | None] = mapped_column(String(128))
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @validates("auth_mode")
    def _validate_auth_mode(self, key: str, value: str) -> str | None:
        return _check_choice(key, value, AUTH_MODES)


class DeadLetter(_ScriptChild, Base):
    """An event delivery that failed for good; it can be replayed or discarded."""

    __tablename__ = "jsscripts_dead_letters"
    __table_args__ = (
        Index("ix_jsscripts_dead_letters_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_jsscripts_dead_letters_tenant_id_script_id", "tenant_id", "script_id"),
        _script_fk("jsscripts_dead_letters"),
    )

    event_id: Mapped[str | None] = mapped_column(String(36))
    event_type: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[list[Any]] = mapped_column(default=lambda: [])  # execution ids, in order
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column()
    discarded_at: Mapped[datetime | None] = mapped_column()

    @property
    def state(self) -> str:
        """``open`` until it is replayed or discarded, then ``replayed`` or ``discarded``."""
        if self.replayed_at is not None:
            return "replayed"
        return "discarded" if self.discarded_at is not None else "open"

    @property
    def closed_at(self) -> datetime | None:
        """When it was replayed or discarded (None while open)."""
        return self.replayed_at or self.discarded_at


class KVEntry(_ScriptChild, Base):
    """One key of ``sdk.kv``: durable state per tenant and per script."""

    __tablename__ = "jsscripts_kv"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "script_id", "key", name="uq_jsscripts_kv_tenant_id_script_id_key"
        ),
        # System job across tenants: expiry cleanup.
        Index("ix_jsscripts_kv_expires_at", "expires_at"),
        _script_fk("jsscripts_kv"),
    )

    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[Any | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxEvent(TenantScoped, Base):
    """A domain event written in the publisher's transaction, dispatched asynchronously later."""

    __tablename__ = "jsscripts_event_outbox"
    __table_args__ = (
        # System job across tenants: the dispatcher picks due pending rows.
        Index("ix_jsscripts_event_outbox_status_available_at", "status", "available_at"),
        Index("ix_jsscripts_event_outbox_tenant_id_created_at", "tenant_id", "created_at"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("depth >= 0", name="depth"),
    )

    event_type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[Any | None] = mapped_column(JSON)
    depth: Mapped[int] = mapped_column(Integer, default=0)  # causation depth (event loops)
    causation_execution_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()

    @validates("status")
    def _validate_status(self, key: str, value: str) -> str | None:
        return _check_choice(key, value, OUTBOX_STATUSES)


class QuotaUsage(TenantScoped, Base):
    """How much of one quota a tenant used in the current window: one row per tenant and quota,
    updated in place (services.quotas), so the table never grows with time."""

    __tablename__ = "jsscripts_quota_usage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "quota", name="uq_jsscripts_quota_usage_tenant_id_quota"),
        CheckConstraint("used >= 0", name="used"),
    )

    quota: Mapped[str] = mapped_column(String(64))
    # Unix seconds at which the counted window began (BigInteger: past 2038).
    window_start: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[int] = mapped_column(Integer, default=0)


ALL_MODELS: tuple[type[TenantScoped], ...] = (
    Script,
    ScriptVersion,
    Execution,
    EventSubscription,
    Schedule,
    HttpEndpoint,
    DeadLetter,
    KVEntry,
    OutboxEvent,
    QuotaUsage,
)


def attach_to(host_metadata: MetaData) -> None:
    """Copy the extension's tables into the host's metadata (idempotent).

    Lets ``db.create_all()`` / ``db.drop_all()`` cover the extension. The copies are only for
    DDL: queries always go through the mapped tables of :data:`metadata` (same names).
    """
    if host_metadata is metadata:
        return
    for table in metadata.sorted_tables:
        if table.name not in host_metadata.tables:
            table.to_metadata(host_metadata)


def is_extension_table(name: str | None) -> bool:
    """True for the tables this package owns (the host's autogenerate must leave them alone)."""
    return bool(name) and name.startswith(TABLE_PREFIX) and name in metadata.tables
