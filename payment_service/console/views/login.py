"""Logging in and out."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...api.passwords import request_client
from ...errors import TooManyFailures
from ...security.throttle import Budget
from .. import audit, operators, sessions
from ..throttle import login_throttle


def budgets(limit: int, client: str, email: str) -> list[Budget]:
    """What a login attempt spends: the client address's budget and the account's (so that
    guesses at one operator spread over many addresses are counted too), kept apart from
    the API's record passwords. An email is hashed to fit the budget's column."""
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return [Budget(f"console:{client}", limit), Budget(f"console-operator:{account}", limit)]


def login() -> Response | tuple[str, int] | str:
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("console/login.html", next=target)
    email = operators.normalized(request.form.get("email", ""))
    password = request.form.get("password", "")
    throttle = login_throttle(current_app)
    try:
        reserved = throttle.reserve(budgets(throttle.limit, request_client(), email))
    except TooManyFailures as error:
        sessions.record(audit.LOGIN_FAILED, target=email, outcome="throttled", operator=email)
        message = f"Too many failed logins lately: try again in {error.retry_after_s} s."
        page = render_template("console/login.html", next=target, error=message, email=email)
        return page, 429
    operator = operators.authenticate(runtime().database, email, password)
    throttle.settle(reserved, failed=operator is None)
    if operator is None:
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
