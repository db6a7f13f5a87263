"""The host's own pages: login/logout, dashboard, orders, language switcher."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from flask_jsscripts import tenant_scope
from flask_jsscripts.permissions import ALL_PERMISSIONS
from flask_jsscripts.services import scripts as script_service

from .app import LANG_COOKIE
from .extensions import db
from .forms import LanguageForm, LoginForm, LogoutForm, OrderForm
from .integration import ORDERS_CREATE, ORDERS_READ, publish_order_created, role_can
from .models import Order, User

bp = Blueprint("admin", __name__)


def requires(permission: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any):
            if not role_can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _safe_next(target: str | None, default: str) -> str:
    """Only redirect within this site (no open redirect through ?next=)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    from flask_babel import get_locale

    return {
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale() or "en"),
        "logout_form": LogoutForm(),
        "language_form": LanguageForm(),
        "scripts_url": current_app.config["JSSCRIPTS_URL_PREFIX"].rstrip("/") + "/",
        "can": lambda permission: role_can(current_user, permission),
    }


@bp.route("/")
def index():
    return redirect(url_for("admin.dashboard" if current_user.is_authenticated else "admin.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            session.permanent = bool(form.remember.data)
            return redirect(_safe_next(request.args.get("next"), url_for("admin.dashboard")))
        form.password.errors.append(_("Wrong email or password."))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit():
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("admin.login"))


@bp.route("/lang", methods=["POST"])
def set_language():
    """The language switcher: stores the choice in the session and a long-lived cookie."""
    lang = request.form.get("lang", "")
    target = _safe_next(request.form.get("next"), url_for("admin.index"))
    response = make_response(redirect(target))
    if LanguageForm().validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session[LANG_COOKIE] = lang
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@bp.route("/admin/")
@login_required
def dashboard():
    tenant = current_user.tenant
    rows = db.session.execute(
        select(Order.status, func.count(), func.coalesce(func.sum(Order.total), 0))
        .where(Order.tenant_id == tenant.id)
        .group_by(Order.status)
    ).all()
    by_status = {status: (count, total) for status, count, total in rows}
    recent_scripts, script_total = [], 0
    if role_can(current_user, "scripts.read"):
        with tenant_scope(tenant.slug):
            page = script_service.list_scripts(db.session, per_page=5)
            recent_scripts, script_total = page.items, page.total
    return render_template(
        "dashboard.html",
        tenant=tenant,
        by_status=by_status,
        order_count=sum(c for c, _t in by_status.values()),
        revenue=sum(t for _c, t in by_status.values()),
        recent_scripts=recent_scripts,
        script_total=script_total,
        permissions=sorted(p for p in ALL_PERMISSIONS if role_can(current_user, p)),
    )


@bp.route("/admin/orders", methods=["GET", "POST"])
@requires(ORDERS_READ)
def orders():
    tenant = current_user.tenant
    form = OrderForm()
    if request.method == "POST":
        if not role_can(current_user, ORDERS_CREATE):
            abort(403)
        if form.validate_on_submit():
            order = Order(
                tenant_id=tenant.id,
                customer=form.customer.data.strip(),
                total=form.total.data,
                status=form.status.data,
            )
            db.session.add(order)
            db.session.flush()  # the id, for the event payload
            publish_order_created(order)
            db.session.commit()  # the order and its event, together or not at all
            flash(_("Order #%(id)s created; order.created published.", id=order.id), "success")
            return redirect(url_for("admin.orders"))
    items = db.session.scalars(
        select(Order)
        .where(Order.tenant_id == tenant.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(100)
    ).all()
    status = 400 if form.errors else 200
    return render_template("orders.html", form=form, orders=items), status


@bp.app_errorhandler(403)
def forbidden(_error):
    return render_template("error.html", code=403, message=_("You may not do this.")), 403


@bp.app_errorhandler(404)
def not_found(_error):
    return render_template("error.html", code=404, message=_("Page not found.")), 404


@bp.route("/plain/ping/<int:n>")
def plain_ping(n: int):
    """A plain view answering what the benchmark's script endpoint answers ({"pong": n}), the
    baseline that benchmarks/endpoints_bench.py compares the endpoint with."""
    return jsonify(pong=n)
