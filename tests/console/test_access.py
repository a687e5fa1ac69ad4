"""Who may reach what: logins, sessions, roles, CSRF and the throttle, through Flask's test
client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask

from payment_service.app import create_app
from payment_service.console import operators
from payment_service.console.permissions import ROLES
from payment_service.settings import Settings
from tests.conftest import make_settings
from tests.secret_keys import secret_keys_env

from .support import PASSWORD, Console, actions, add_operator

GET_ROUTES = [
    "/console/",
    "/console/payments",
    "/console/payments.csv",
    "/console/payments/some-id",
    "/console/reservations",
    "/console/webhooks",
    "/console/operators",
    "/console/audit",
]
POST_ROUTES = [
    "/console/logout",
    "/console/payments/some-id/refund",
    "/console/webhooks/some-id/resend",
    "/console/webhooks/resend",
    "/console/operators/add",
    "/console/operators/disable",
    "/console/operators/role",
]
# (path, permission it needs) for each role's check.
GUARDED = [
    ("GET", "/console/payments", "payment:read"),
    ("GET", "/console/webhooks", "webhook:read"),
    ("GET", "/console/operators", "operator:manage"),
    ("GET", "/console/audit", "audit:read"),
    ("POST", "/console/payments/some-id/refund", "payment:refund"),
    ("POST", "/console/webhooks/some-id/resend", "webhook:resend"),
    ("POST", "/console/operators/role", "operator:manage"),
]


@pytest.fixture
def console(app: Flask) -> Console:
    runtime = app.extensions["payment_service"]
    for role in ROLES:
        add_operator(runtime, f"{role}@example.com", role)
    return Console.of(app)


@pytest.mark.parametrize("path", GET_ROUTES)
def test_every_page_but_the_login_sends_a_stranger_to_the_login_page(console, path):
    answer = console.http.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login?next=")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_no_form_is_taken_from_a_stranger_even_with_a_token(console, path):
    answer = console.post(path, {"email": "viewer@example.com", "role": "admin", "reason": "x"})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login")
    assert operators.every(console.runtime.database)[2].role == "viewer"
    assert actions(console.runtime) == []


def test_the_login_page_and_the_assets_answer_without_a_session(console):
    assert console.http.get("/console/login").status_code == 200
    css = console.http.get("/console/static/console.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"


def test_a_login_opens_a_session_in_a_signed_http_only_cookie(console):
    answer = console.login("admin@example.com")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("payment_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # local mode: plain http on this machine
    page = console.http.get("/console/payments")
    assert page.status_code == 200
    assert "admin@example.com (admin)" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert actions(console.runtime)[-1] == ("admin@example.com", "login", "admin@example.com", "ok")


@pytest.mark.parametrize(
    ("mode", "variable", "served", "secure"),
    [
        ("local", None, True, False),
        ("local", "off", False, None),
        ("dev", None, False, None),
        ("real", None, False, None),
        ("dev", "on", True, True),
        ("real", "on", True, True),
    ],
)
def test_the_console_is_on_in_local_mode_only_unless_asked_and_secure_beyond(
    database_url, mode, variable, served, secure
):
    environ = {
        "PAYMENT_DATABASE_URL": database_url,
        "PAYMENT_LOAD_PLUGINS": "false",
        "PAYMENT_MODE": mode,
        **({} if mode == "local" else secret_keys_env()),
        **({} if variable is None else {"PAYMENT_CONSOLE": variable}),
    }
    app = create_app(Settings.load(environ=environ, env_file=None))
    try:
        if not served:
            assert app.test_client().get("/console/login").status_code == 404
            return
        add_operator(app.extensions["payment_service"], "admin@example.com", "admin")
        answer = Console.of(app).login("admin@example.com")
        assert answer.status_code == 303
        assert ("Secure" in answer.headers["Set-Cookie"]) is secure
    finally:
        app.extensions["payment_service"].close()


@pytest.mark.parametrize(
    ("email", "password"),
    [("admin@example.com", "not the password"), ("nobody@example.com", PASSWORD), ("", "")],
)
def test_a_failed_login_is_refused_and_audited(console, email, password):
    answer = console.login(email, password)
    assert answer.status_code == 401
    assert "Wrong email or password." in answer.text
    assert console.http.get("/console/").status_code == 302
    assert actions(console.runtime) == [(email, "login.failed", email, "refused")]


def test_a_disabled_operator_cannot_log_in_and_its_session_ends(console):
    console.logged_in("operator@example.com")
    operators.disable(console.runtime.database, "operator@example.com", console.runtime.clock())
    assert console.http.get("/console/payments").status_code == 302
    assert console.login("operator@example.com").status_code == 401


def test_failed_logins_are_throttled_per_client_even_with_the_right_password(database_url):
    app = create_app(make_settings(database_url, auth_failures_max=3))
    try:
        add_operator(app.extensions["payment_service"], "admin@example.com", "admin")
        console = Console.of(app)
        for _ in range(3):
            assert console.login("admin@example.com", "wrong").status_code == 401
        answer = console.login("admin@example.com")
        assert answer.status_code == 429
        assert "Too many failed logins" in answer.text
        assert console.http.get("/console/").status_code == 302
        outcomes = [entry[3] for entry in actions(console.runtime)]
        assert outcomes == ["refused", "refused", "refused", "throttled"]
    finally:
        app.extensions["payment_service"].close()


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("method", "path", "permission"), GUARDED)
def test_a_role_without_the_permission_gets_403(console, role, method, path, permission):
    console.logged_in(f"{role}@example.com")
    data = {"email": "viewer@example.com", "role": "admin", "reason": "why", "amount": "1"}
    answer = console.http.get(path) if method == "GET" else console.post(path, data)
    if permission in ROLES[role]:
        assert answer.status_code != 403
    else:
        assert answer.status_code == 403
        assert "Your role does not allow this." in answer.text
    expected = "admin" if role == "admin" and path == "/console/operators/role" else "viewer"
    assert operators.every(console.runtime.database)[2].role == expected


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/console/operators/add", {"email": "new@example.com", "role": "admin"}),
        ("/console/operators/role", {"email": "viewer@example.com", "role": "admin"}),
        ("/console/operators/disable", {"email": "viewer@example.com"}),
        ("/console/logout", {}),
        ("/console/webhooks/resend", {"reason": "why"}),
    ],
)
def test_a_form_without_its_csrf_token_gets_400_and_changes_nothing(console, path, data, token):
    console.logged_in("admin@example.com")
    before = actions(console.runtime)
    form = {**data, "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token
    answer = console.http.post(path, data=form)
    assert answer.status_code == 400
    assert "CSRF" in answer.text
    assert [(o.email, o.role, o.disabled) for o in operators.every(console.runtime.database)] == [
        ("admin@example.com", "admin", False),
        ("operator@example.com", "operator", False),
        ("viewer@example.com", "viewer", False),
    ]
    assert actions(console.runtime) == before
    assert console.http.get("/console/").status_code == 200  # still logged in


def test_the_login_form_needs_its_csrf_token_too(console):
    data = {"email": "admin@example.com", "password": PASSWORD}
    assert console.http.post("/console/login", data=data).status_code == 400
    assert console.http.get("/console/").status_code == 302


def test_an_idle_session_ends(console):
    console.logged_in("viewer@example.com")
    console.later(console.runtime.settings.console_idle_s + 1)
    answer = console.http.get("/console/payments")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login")
    console.later(0)
    assert console.http.get("/console/payments").status_code == 302  # ended, not paused


def test_a_session_in_use_does_not_end(console):
    console.logged_in("viewer@example.com")
    idle = console.runtime.settings.console_idle_s
    for _ in range(3):
        console.later(idle * 0.75)  # each step from the last: 2.25 idle periods in all
        assert console.http.get("/console/payments").status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/console/payments/some-id/refund", {"amount": "100", "reason": "customer asked"}),
        ("/console/webhooks/some-id/resend", {"reason": "receiver fixed"}),
    ],
)
def test_a_refund_or_a_resend_needs_a_recent_login(console, path, data):
    console.logged_in("operator@example.com")
    console.later(console.runtime.settings.console_fresh_s + 1)
    assert console.http.get("/console/payments").status_code == 200  # reading is fine
    answer = console.post(path, data)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/login?next=")
    assert [entry[1] for entry in actions(console.runtime)] == ["login"]


def test_logging_out_ends_the_session_and_is_audited(console):
    console.logged_in("viewer@example.com")
    answer = console.post("/console/logout")
    assert answer.status_code == 303
    assert console.http.get("/console/").status_code == 302
    assert [entry[1] for entry in actions(console.runtime)] == ["login", "logout"]


@pytest.mark.parametrize(
    "target", ["https://elsewhere.example/console", "//elsewhere.example/", "/payments/x"]
)
def test_after_a_login_only_a_console_page_is_a_destination(console, target):
    token = console.token()
    data = {"email": "viewer@example.com", "password": PASSWORD, "csrf_token": token}
    answer = console.http.post(f"/console/login?next={target}", data=data)
    assert answer.headers["Location"] == "/console/"


def test_an_admin_manages_operators_and_every_change_is_audited(console):
    console.logged_in("admin@example.com")
    added = console.post(
        "/console/operators/add",
        {"email": "New@Example.com", "role": "viewer", "password": "a long enough password"},
    )
    assert added.status_code == 303
    assert (
        console.post(
            "/console/operators/role", {"email": "new@example.com", "role": "operator"}
        ).status_code
        == 303
    )
    assert (
        console.post("/console/operators/disable", {"email": "new@example.com"}).status_code == 303
    )
    refused = console.post("/console/operators/role", {"email": "new@example.com", "role": "root"})
    assert refused.status_code == 400
    page = console.http.get("/console/operators")
    assert "new@example.com" in page.text
    found = {o.email: o for o in operators.every(console.runtime.database)}
    assert (found["new@example.com"].role, found["new@example.com"].disabled) == ("operator", True)
    assert actions(console.runtime)[1:] == [
        ("admin@example.com", "operator.add", "new@example.com", "ok"),
        ("admin@example.com", "operator.set_role", "new@example.com", "ok"),
        ("admin@example.com", "operator.disable", "new@example.com", "ok"),
    ]
    audit = console.http.get("/console/audit")
    assert audit.status_code == 200
    assert audit.text.count('class="entry"') == 4


def test_a_new_role_takes_effect_at_the_next_request(console):
    console.logged_in("viewer@example.com")
    assert console.http.get("/console/audit").status_code == 403
    operators.set_role(console.runtime.database, "viewer@example.com", "admin")
    assert console.http.get("/console/audit").status_code == 200


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "POST"])
def test_no_route_edits_or_deletes_the_audit_log(console, method):
    console.logged_in("admin@example.com")
    before = actions(console.runtime)
    answer = console.http.open("/console/audit", method=method, data={"csrf_token": console.csrf})
    # The wire's answer to an unknown route or method (docs/payment-api.md): 404.
    assert answer.status_code in (404, 405)
    assert actions(console.runtime) == before
