"""Who is logged in: a signed session cookie (Flask's) holding the operator's id, when they
logged in and when they were last seen. The operator is read from the database on every
request, so a disabled operator or a changed role takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..api.context import runtime
from ..api.passwords import request_client
from ..observability import request_ids
from . import audit, operators
from .operators import Operator
from .permissions import allowed

View = TypeVar("View", bound=Callable[..., Any])

OPERATOR = "operator"
LOGIN_AT = "login_at"
SEEN_AT = "seen_at"


def now() -> datetime:
    return runtime().clock()


def current() -> Operator | None:
    return g.get("operator")


def begin(operator: Operator) -> None:
    """A new session for `operator` (anything the cookie held before is dropped)."""
    session.clear()
    moment = now().timestamp()
    session[OPERATOR] = operator.id
    session[LOGIN_AT] = moment
    session[SEEN_AT] = moment
    session.permanent = False


def end() -> None:
    session.clear()


def load() -> Response | None:
    """Before every console request but the login page and the assets: the session's operator
    in `g.operator`, or a redirect to the login page (a session idle too long ends)."""
    operator_id = session.get(OPERATOR)
    settings = runtime().settings
    moment = now().timestamp()
    if operator_id is not None:
        seen = float(session.get(SEEN_AT, 0))
        if moment - seen > settings.console_idle_s:
            end()
            flash("Your session ended after a while without use: log in again.", "error")
            return to_login()
        operator = operators.get(runtime().database, str(operator_id))
        if operator is not None and not operator.disabled:
            g.operator = operator
            session[SEEN_AT] = moment
            return None
        end()
    return to_login()


def to_login() -> Response:
    """To the login page, and back to this page after it (a form is not sent again: it
    needs a new look at its page first)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.login", next=target))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the console only (never another site)."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return url_for("console.overview")
    return target or url_for("console.overview")


def fresh() -> bool:
    """Whether the login is young enough for a refund or a resend."""
    login_at = float(session.get(LOGIN_AT, 0))
    return now().timestamp() - login_at <= runtime().settings.console_fresh_s


def requires(permission: str) -> Callable[[View], View]:
    """Refuse (403) an operator whose role does not grant `permission`."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            operator = current()
            if operator is None or not allowed(operator.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def can(permission: str) -> bool:
    operator = current()
    return operator is not None and allowed(operator.role, permission)


def record(
    action: str,
    *,
    target: str | None = None,
    reason: str | None = None,
    outcome: str = audit.OK,
    operator: str | None = None,
) -> None:
    """Append this request's action to the audit log."""
    who = operator if operator is not None else getattr(current(), "email", None)
    audit.append(
        runtime().database,
        now(),
        operator=who,
        action=action,
        target=target,
        reason=reason,
        outcome=outcome,
        client=request_client(),
        request_id=request_ids.current(),
    )
