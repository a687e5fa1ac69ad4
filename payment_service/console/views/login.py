"""Logging in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...api.passwords import request_client
from .. import audit, operators, sessions
from ..throttle import login_throttle

THROTTLE_PREFIX = "console:"


def login() -> Response | tuple[str, int] | str:
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("console/login.html", next=target)
    email = operators.normalized(request.form.get("email", ""))
    password = request.form.get("password", "")
    client = THROTTLE_PREFIX + request_client()
    throttle = login_throttle(current_app)
    wait = throttle.retry_after(client)
    if wait is not None:
        sessions.record(audit.LOGIN_FAILED, target=email, outcome="throttled", operator=email)
        message = f"Too many failed logins from your address: try again in {wait} s."
        page = render_template("console/login.html", next=target, error=message, email=email)
        return page, 429
    operator = operators.authenticate(runtime().database, email, password)
    if operator is None:
        throttle.record(client)
        sessions.record(audit.LOGIN_FAILED, target=email, outcome="refused", operator=email)
        message = "Wrong email or password."
        page = render_template("console/login.html", next=target, error=message, email=email)
        return page, 401
    sessions.begin(operator)
    sessions.record(audit.LOGIN, target=operator.email, operator=operator.email)
    return redirect(sessions.safe_next(target), 303)


def logout() -> Response:
    operator = sessions.current()
    if operator is not None:
        sessions.record(audit.LOGOUT, target=operator.email)
    sessions.end()
    flash("Logged out.", "info")
    return redirect(url_for("console.login"), 303)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    blp.add_url_rule("/logout", "logout", logout, methods=["POST"])
