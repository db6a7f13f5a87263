"""The host's forms (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from .models import ORDER_STATUSES


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))


class OrderForm(FlaskForm):
    customer = StringField(_l("Customer"), validators=[DataRequired(), Length(max=200)])
    total = DecimalField(
        _l("Total"), places=2, validators=[DataRequired(), NumberRange(min=0, max=10_000_000)]
    )
    status = SelectField(_l("Status"), choices=list(ORDER_STATUSES), default="new")


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a state change, so it is a POST."""


class LanguageForm(FlaskForm):
    """The language switcher: one submit button per language (``name="lang"``)."""
