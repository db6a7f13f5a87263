"""``flask seed``: demo tenants, users, orders and sample scripts. Safe to run again: it only
adds what is missing (users keep their passwords, scripts are matched by name)."""

from __future__ import annotations

import copy
from decimal import Decimal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from flask_jsscripts import tenant_scope
from flask_jsscripts.services import scripts as script_service
from flask_jsscripts.services.errors import NotFound
from flask_jsscripts.services.validation import ScriptInput

from .extensions import db
from .models import Order, Tenant, User

DEMO_PASSWORD = "demo"
TENANTS = [("acme", "Acme Corp"), ("globex", "Globex Inc")]
USERS = [
    ("admin@acme.test", "Ada Admin", "acme", "admin"),
    ("dev@acme.test", "Dev Eloper", "acme", "developer"),
    ("viewer@acme.test", "Vic Viewer", "acme", "viewer"),
    ("admin@globex.test", "Gus Globex", "globex", "admin"),
]
ORDERS = {
    "acme": [
        ("Wile E. Coyote", "129.90", "paid"),
        ("Road Runner Ltd", "48.00", "new"),
        ("Daffy & Co", "310.50", "shipped"),
        ("Porky Supplies", "12.75", "new"),
    ],
    "globex": [
        ("Hank Scorpio", "9999.00", "paid"),
        ("Cypress Creek", "420.00", "new"),
    ],
}

ORDER_SUMMARY = """\
// Manual script: press Run, optionally with input such as {"status": "new"}.
// sdk.host.orders.list is a host function: it only ever sees this tenant's orders.
async function main(ctx) {
  const { status } = ctx.input || {};
  const orders = await sdk.host.orders.list(status ? { status, limit: 100 } : { limit: 100 });
  const byStatus = orders.reduce((acc, { status }) => {
    acc[status] = (acc[status] || 0) + 1;
    return acc;
  }, {});
  const total = orders.reduce((sum, order) => sum + order.total, 0);
  const runs = await sdk.kv.incr("runs");
  sdk.log.info(`summarised ${orders.length} orders`, { tenant: ctx.tenant.id, runs });
  return {
    tenant: ctx.tenant.id,
    count: orders.length,
    total: Math.round(total * 100) / 100,
    byStatus,
    customers: [...new Set(orders.map((o) => o.customer))],
    runs,
  };
}
"""

NIGHTLY_REPORT = """\
// Scheduled script: runs every day at 06:00 UTC (cron "0 6 * * *").
// It keeps yesterday's count in sdk.kv to report the change.
function main(ctx) {
  const open = sdk.host.orders.list({ status: "new", limit: 100 });
  const previous = sdk.kv.get("open-orders");
  sdk.kv.set("open-orders", open.length);
  const change = previous === null ? 0 : open.length - previous;
  sdk.log.info("open orders", { count: open.length, change });
  return { open: open.length, change, oldest: open.length ? open[open.length - 1].id : null };
}
"""

ORDER_LOOKUP = """\
// HTTP script: answers GET <endpoint prefix>/orders/{id} (session auth).
// ctx.input carries the request; the path parameter arrives as a string.
function main(ctx) {
  const input = ctx.input || {};
  const params = input.params || input.path_params || {};
  const id = Number(params.id);
  if (!Number.isInteger(id)) {
    return { status: 400, body: { error: "id must be a number" } };
  }
  const order = sdk.host.orders.get(id);
  return order ? { status: 200, body: order } : { status: 404, body: { error: "not found" } };
}
"""

ON_ORDER_CREATED = """\
// Event script: runs for every "order.created" the host publishes (Orders page → Create).
// ctx.input is the event payload: the new order.
function main(ctx) {
  const order = ctx.input;
  const count = sdk.kv.incr("orders-seen");
  const big = order.total >= 1000;
  if (big) {
    sdk.log.warn(`large order #${order.id}`, { customer: order.customer, total: order.total });
  } else {
    sdk.log.info(`order #${order.id} from ${order.customer}`);
  }
  return { seen: count, big };
}
"""

SAMPLE_SCRIPTS = [
    ScriptInput(
        name="Order summary",
        description="Counts and totals this tenant's orders (manual run).",
        type="manual",
        status="active",
        source=ORDER_SUMMARY,
        tags=["demo", "orders"],
    ),
    ScriptInput(
        name="Nightly open orders",
        description="Every morning: how many orders are still new, and the change since yesterday.",
        type="scheduled",
        status="active",
        cron="0 6 * * *",
        timezone="UTC",
        source=NIGHTLY_REPORT,
        tags=["demo", "report"],
    ),
    ScriptInput(
        name="Order lookup API",
        description="An HTTP endpoint returning one order as JSON.",
        type="http",
        status="active",
        http_path="orders/{id}",
        http_methods=["GET"],
        http_auth="session",
        source=ORDER_LOOKUP,
        tags=["demo", "api"],
    ),
    ScriptInput(
        name="On order created",
        description="Reacts to the order.created event published by the Orders page.",
        type="event",
        status="active",
        event_types=["order.created"],
        source=ON_ORDER_CREATED,
        tags=["demo", "events"],
    ),
]


def seed_database() -> dict[str, int]:
    """Add whatever demo data is missing; returns how many rows of each kind it created."""
    created = {"tenants": 0, "users": 0, "orders": 0, "scripts": 0}
    tenants: dict[str, Tenant] = {}
    for slug, name in TENANTS:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            tenant = Tenant(slug=slug, name=name)
            db.session.add(tenant)
            created["tenants"] += 1
        tenants[slug] = tenant
    db.session.flush()

    for email, name, slug, role in USERS:
        if db.session.scalar(select(User).where(User.email == email)) is None:
            user = User(email=email, name=name, tenant_id=tenants[slug].id, role=role)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            created["users"] += 1

    for slug, rows in ORDERS.items():
        tenant = tenants[slug]
        has_orders = db.session.scalar(select(Order.id).where(Order.tenant_id == tenant.id))
        if has_orders is None:  # seed orders only into an empty tenant
            for customer, total, status in rows:
                db.session.add(
                    Order(
                        tenant_id=tenant.id, customer=customer, total=Decimal(total), status=status
                    )
                )
                created["orders"] += 1
    db.session.commit()

    state = current_app.extensions["jsscripts"]
    for slug, _name in TENANTS:
        actor = next(email for email, _n, s, role in USERS if s == slug and role == "admin")
        with tenant_scope(slug):
            for template in SAMPLE_SCRIPTS:
                try:
                    script_service.get_script_by_name(db.session, template.name)
                    continue  # already there (perhaps edited by someone): leave it alone
                except NotFound:
                    pass
                data = copy.deepcopy(template)  # validation normalises it in place
                data.note = "seeded"
                script_service.create_script(
                    db.session, data, config=state.config, runtime=state.runtime, actor=actor
                )
                created["scripts"] += 1
    return created


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the demo tenants, users (password: demo), orders and sample scripts."""
    try:
        created = seed_database()
    finally:
        current_app.extensions["jsscripts"].close_runtime()  # the sandbox workers it started
    summary = ", ".join(f"{count} {kind}" for kind, count in created.items())
    click.echo(f"seed: created {summary}")
    if any(created.values()):
        click.echo(
            "sign in as admin@acme.test / demo (also dev@, viewer@acme.test, admin@globex.test)"
        )
