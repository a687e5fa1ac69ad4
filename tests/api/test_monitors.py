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
