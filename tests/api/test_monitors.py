"""R1-R3 through HTTP."""

from __future__ import annotations

import json
import re
import uuid

from payment_service.crypto import Cipher

CIPHER = Cipher("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")


def test_health_answers_200_with_an_empty_body(client):
    response = client.get("/monitors/health")
    assert response.status_code == 200
    assert response.data == b""


def test_health_is_503_when_the_database_is_gone(tmp_path):
    from payment_service.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/monitors/health")
    assert response.status_code == 503
    assert response.json["statusCode"] == 503
    assert response.json["message"] == "The database is unavailable; try again shortly."
    assert "127.0.0.1" not in response.get_data(as_text=True)
    # Nothing about the database reaches the caller: no URL, user, host, port or driver text.
    for leak in ("postgresql", "psycopg", "nobody", "127.0.0.1", "refused"):
        assert leak not in response.get_data(as_text=True)


def test_system_is_encrypted_and_describes_the_process(client):
    response = client.get("/monitors/system")
    assert response.status_code == 200
    system = json.loads(CIPHER.decrypt(response.data))
    assert uuid.UUID(system["uid"])
    assert isinstance(system["arguments"], list)
    assert system["package"]["name"] == "payment-service"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", system["created_at"])
    commit = system["commit"]
    if commit is not None:  # a git checkout; an installed wheel has no commit
        assert re.fullmatch(r"[0-9a-f]{40}", commit["hash"])
        assert commit["hash"].startswith(commit["shortHash"])
        assert set(commit) >= {"subject", "author", "committer", "branch", "tags", "commited_at"}


# ISystem.IPackage of the original: required keys and the JSON type of each.
PACKAGE_TYPES = {
    "name": str,
    "version": str,
    "description": str,
    "scripts": dict,
    "repository": dict,
    "author": str,
    "license": str,
    "bugs": dict,
    "homepage": str,
    "devDependencies": dict,
    "dependencies": dict,
}
COMMIT_STRINGS = (
    "shortHash", "branch", "hash", "subject", "sanitizedSubject", "body",
    "authored_at", "commited_at", "notes",
)  # fmt: skip


def test_system_package_has_every_field_of_the_original_with_its_type(client):
    package = json.loads(CIPHER.decrypt(client.get("/monitors/system").data))["package"]

    assert {key: type(package[key]) for key in PACKAGE_TYPES} == PACKAGE_TYPES
    assert package["repository"]["type"] == "git"
    assert isinstance(package["repository"]["url"], str)
    assert isinstance(package["bugs"]["url"], str)
    # npm's name -> version-range maps, from setup.cfg's install_requires and test extra.
    assert package["dependencies"]["flask"] == ">=3.0"
    assert package["dependencies"]["psycopg"] == ">=3.1"
    assert package["dependencies"]["certifi"] == "*"
    assert package["devDependencies"]["pytest"] == ">=8"
    assert "pytest" not in package["dependencies"]
    assert package["scripts"] == {"payment-service": "payment_service.cli:main"}
    assert all(isinstance(value, str) for value in package["dependencies"].values())
    assert package["files"] == ["payment_service", "fake_servers"]


def test_system_commit_has_the_original_types(client):
    commit = json.loads(CIPHER.decrypt(client.get("/monitors/system").data))["commit"]
    if commit is None:  # not a git checkout: nothing to check here
        return
    for key in COMMIT_STRINGS:
        assert isinstance(commit[key], str), key
    assert isinstance(commit["tags"], list)
    for user in ("author", "committer"):
        assert set(commit[user]) == {"name", "email"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", commit["authored_at"])


def test_requirements_become_npm_style_maps():
    from payment_service.monitoring.system import split_requirements

    runtime, development = split_requirements(
        [
            "flask>=3.0",
            "psycopg[binary]>=3.1",
            "certifi",
            "legacy (>=1.2)",
            'pytest>=8; extra == "test"',
            'docs-only>=1; extra == "docs"',
            'tomli>=2; python_version < "3.11"',
        ]
    )

    assert runtime == {"flask": ">=3.0", "psycopg": ">=3.1", "certifi": "*", "legacy": ">=1.2"}
    assert development == {"pytest": ">=8"}


def test_system_uid_is_stable_within_a_process(client):
    first = json.loads(CIPHER.decrypt(client.get("/monitors/system").data))
    second = json.loads(CIPHER.decrypt(client.get("/monitors/system").data))
    assert first["uid"] == second["uid"]


def test_system_works_outside_a_git_checkout(client, monkeypatch):
    from payment_service.monitoring import system

    system.commit_info.cache_clear()
    monkeypatch.setattr(system, "SOURCE_ROOT", system.Path("/"))
    try:
        body = json.loads(CIPHER.decrypt(client.get("/monitors/system").data))
        assert body["commit"] is None
    finally:
        system.commit_info.cache_clear()


def test_performance_reports_the_original_keys_as_numbers(client):
    response = client.get("/monitors/performance")
    assert response.status_code == 200
    body = json.loads(CIPHER.decrypt(response.data))
    assert set(body["cpu"]) == {"user", "system"}
    assert set(body["memory"]) == {"rss", "heapTotal", "heapUsed", "external", "arrayBuffers"}
    assert body["memory"]["rss"] > 0
    assert len(body["resource"]) == 16
    assert all(isinstance(value, int) for value in body["resource"].values())
