"""How this host plugs into flask-jsscripts: tenant, permissions, host functions, events.

Everything here is the public API the README documents; nothing reaches into the extension.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from flask_jsscripts import HostCallError, current_tenant
from flask_jsscripts.permissions import (
    ALL_PERMISSIONS,
    SCRIPTS_CREATE,
    SCRIPTS_EXECUTE,
    SCRIPTS_READ,
    SCRIPTS_UPDATE,
)

from .extensions import db, jsscripts
from .models import ORDER_STATUSES, Order, Tenant

# The host's own permissions sit beside the extension's five in one role map.
ORDERS_READ = "orders.read"
ORDERS_CREATE = "orders.create"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # every permission of the extension, endpoints.manage (public and token endpoints) included
    "admin": ALL_PERMISSIONS | {ORDERS_READ, ORDERS_CREATE},
    # writes and runs scripts; endpoints it makes stay among signed-in users (session access)
    "developer": frozenset(
        {SCRIPTS_READ, SCRIPTS_CREATE, SCRIPTS_UPDATE, SCRIPTS_EXECUTE, ORDERS_READ, ORDERS_CREATE}
    ),
    "viewer": frozenset({SCRIPTS_READ, ORDERS_READ}),
}

MAX_LIST = 100


def role_can(user: Any, permission: str) -> bool:
    """The role map as a check; the extension calls it for its five permissions too."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(getattr(user, "role", None), frozenset())


@jsscripts.tenant_loader
def current_tenant_slug() -> str | None:
    """The extension keys tenants by our slug (stable, readable in exports and logs).

    Signed-in users work in their own tenant. Programs calling the script endpoints (token or
    public access) have no session: for requests under the endpoint prefix they name the
    tenant in an ``X-Tenant`` header instead. A host on subdomains would read the tenant from
    ``request.host`` here. Naming another tenant gains nothing: its token endpoints still need
    its tokens, and its session endpoints a session in it."""
    if has_request_context() and not _may_be_signed_in():
        return _endpoint_tenant()  # a program's call: no need to ask Flask-Login
    if current_user and current_user.is_authenticated:
        return current_user.tenant.slug
    return _endpoint_tenant() if has_request_context() else None


def _may_be_signed_in() -> bool:
    """Whether the request carries a session or remember-me cookie (without either, nobody is
    signed in, and Flask-Login's look for a user costs more than the rest of the loader)."""
    config = current_app.config
    names = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return any(name in request.cookies for name in names)


def _endpoint_tenant() -> str | None:
    prefix = current_app.config["JSSCRIPTS_ENDPOINT_PREFIX"] + "/"
    if request.path.startswith(prefix):
        return request.headers.get("X-Tenant") or None
    return None


@jsscripts.permission_checker
def check_permission(user: Any, permission: str) -> bool:
    return role_can(user, permission)


# --- host functions: sdk.host.orders.* -----------------------------------------------------
# A script always runs inside its tenant's scope (the broker sets it), so the current tenant is
# the script's own: these functions can never hand out another tenant's orders. They name no
# permission because scheduled and event runs have no user; reads are limited by the tenant.


def _script_tenant() -> Tenant:
    slug = current_tenant()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    if tenant is None:
        raise HostCallError("NO_TENANT", "no tenant for this run")
    return tenant


@jsscripts.expose("orders.list")
def list_orders(options: Any = None) -> list[dict[str, Any]]:
    """``sdk.host.orders.list({status?, limit?})``: the tenant's orders, newest first."""
    options = options if options is not None else {}
    if not isinstance(options, dict):
        raise HostCallError("BAD_ARGUMENTS", "orders.list takes an object: {status, limit}")
    status, limit = options.get("status"), options.get("limit", 50)
    if status is not None and status not in ORDER_STATUSES:
        raise HostCallError("BAD_ARGUMENTS", f"status must be one of {', '.join(ORDER_STATUSES)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise HostCallError("BAD_ARGUMENTS", f"limit must be an integer from 1 to {MAX_LIST}")
    query = select(Order).where(Order.tenant_id == _script_tenant().id)
    if status is not None:
        query = query.where(Order.status == status)
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    return [order.to_json() for order in db.session.scalars(query)]


@jsscripts.expose("orders.get")
def get_order(order_id: Any) -> dict[str, Any] | None:
    """``sdk.host.orders.get(id)``: one order of the tenant, or null."""
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise HostCallError("BAD_ARGUMENTS", "orders.get takes an order id (a number)")
    order = db.session.scalar(
        select(Order).where(Order.id == order_id, Order.tenant_id == _script_tenant().id)
    )
    return order.to_json() if order is not None else None


def publish_order_created(order: Order) -> None:
    """``order.created`` goes to the extension's outbox in this session: it is only published
    if the caller's commit (the one that stores the order) succeeds."""
    jsscripts.publish(
        "order.created",
        order.to_json(),
        tenant_id=order.tenant.slug,
        actor_id=str(current_user.id) if current_user.is_authenticated else None,
    )
