"""Cost of the encrypted transport, as a ratio against plain JSON, measured in one run.

The same route body (a 2 KB `IPaymentHistory`-sized JSON) goes through the app twice: once as
an encrypted route (decrypt, validate, dump, encrypt) and once as a plain-JSON route with the
same schema. Target: encryption adds at most 50 % (ratio <= 1.5).

    .venv/bin/python benchmarks/transport.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import marshmallow as ma
from flask import jsonify, request
from flask.views import MethodView

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payment_service.app import create_app
from payment_service.settings import Settings
from payment_service.transport import Blueprint

TARGET = 1.5


class BodySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    id = ma.fields.String(required=True)
    data = ma.fields.Dict(required=True)
    cancels = ma.fields.List(ma.fields.Dict(), required=True)


def build_app(tmp: str):
    settings = Settings.load(
        environ={"PAYMENT_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"},
        env_file=None,
        load_plugins=False,
    )
    app = create_app(settings)
    blp = Blueprint("bench", __name__)

    @blp.route("/encrypted")
    class Encrypted(MethodView):
        @blp.encrypted_arguments(BodySchema)
        @blp.encrypted_response(200, BodySchema)
        def post(self, body):
            return body

    @blp.route("/plain", methods=["POST"])
    def plain():
        return jsonify(BodySchema().dump(BodySchema().load(request.get_json())))

    app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(blp)
    return app, settings


def payload() -> dict:
    return {
        "id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        "data": {f"field_{i}": "값" * 10 + str(i) for i in range(40)},
        "cancels": [{"price": 4000, "reason": "some-reason", "time": "2024-05-01"}] * 5,
    }


def measure(call, rounds: int) -> float:
    for _ in range(rounds // 10):  # warm up
        call()
    started = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - started) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        app, settings = build_app(tmp)
        client = app.test_client()
        text = json.dumps(payload(), ensure_ascii=False)
        encrypted = settings.keys.connection.encrypt(text)
        print(f"body: {len(text.encode())} bytes of JSON, {len(encrypted)} bytes encrypted")

        def plain_call():
            response = client.post("/plain", data=text, content_type="application/json")
            assert response.status_code == 200

        def encrypted_call():
            response = client.post("/encrypted", data=encrypted, content_type="text/plain")
            assert response.status_code == 200

        baseline = measure(plain_call, rounds)
        subject = measure(encrypted_call, rounds)
        app.extensions["payment_service"].close()
    ratio = subject / baseline
    print(f"plain JSON round trip:   {baseline * 1e6:8.1f} µs")
    print(f"encrypted round trip:    {subject * 1e6:8.1f} µs")
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"ratio encrypted / plain: {ratio:8.2f}  (target <= {TARGET}: {verdict})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
