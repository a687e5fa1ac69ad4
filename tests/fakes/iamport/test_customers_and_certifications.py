"""Saved cards and OTP certifications beyond the original scenarios."""

from __future__ import annotations

import pytest

from fake_servers.iamport import FakeIamport

from .helpers import IamportClient, new_uid, otp_body

SUBSCRIPTION_FIELDS = [
    "pg_provider",
    "pg_id",
    "card_name",
    "card_code",
    "card_number",
    "card_type",
    "customer_name",
    "customer_tel",
    "customer_email",
    "customer_addr",
    "customer_postcode",
    "inserted",
    "updated",
    "customer_uid",
]


def card(customer_uid: str, number: str = "1234-1234-1234-1234") -> dict[str, str]:
    return {
        "customer_uid": "ignored-in-favour-of-the-path",
        "card_number": number,
        "expiry": "2028-12",
        "birth": "880311",
        "customer_name": "ignored",
    }


def test_customer_card_is_saved_under_the_path_id(api: IamportClient) -> None:
    customer_uid = new_uid()
    saved = api.ok("POST", f"/subscribe/customers/{customer_uid}", card(customer_uid))
    assert list(saved) == SUBSCRIPTION_FIELDS
    assert saved["customer_uid"] == customer_uid
    assert saved["customer_name"] != "ignored"
    assert saved["customer_email"].endswith("@samchon.org")
    assert saved["customer_tel"].startswith("010")
    assert (saved["inserted"], saved["updated"], saved["card_type"]) == (1, 0, "card")
    assert api.ok("GET", f"/subscribe/customers/{customer_uid}") == saved


def test_saving_again_replaces_the_card(api: IamportClient) -> None:
    customer_uid = new_uid()
    api.ok("POST", f"/subscribe/customers/{customer_uid}", card(customer_uid))
    newer = api.ok(
        "POST", f"/subscribe/customers/{customer_uid}", card(customer_uid, "9999-8888-7777-6666")
    )
    assert api.ok("GET", f"/subscribe/customers/{customer_uid}") == newer


def test_deleting_a_card_keeps_its_payments(api: IamportClient, fake: FakeIamport) -> None:
    customer_uid = new_uid()
    saved = fake.register_card(customer_uid)
    payment = fake.pay_again(customer_uid, 1_000, new_uid())
    assert api.ok("DELETE", f"/subscribe/customers/{customer_uid}") == saved
    api.error(404, "DELETE", f"/subscribe/customers/{customer_uid}")
    api.error(404, "GET", f"/subscribe/customers/{customer_uid}")
    assert api.ok("GET", f"/payments/{payment['imp_uid']}")["customer_uid"] == customer_uid
    body = {"customer_uid": customer_uid, "merchant_uid": "m", "amount": 1, "name": "n"}
    api.error(404, "POST", "/subscribe/payments/again", body)


@pytest.mark.parametrize(
    ("field", "value"),
    [("expiry", "2028-13"), ("birth", "881311"), ("cvc", "1"), ("customer_email", "x")],
)
def test_card_fields_are_validated(api: IamportClient, field: str, value: str) -> None:
    customer_uid = new_uid()
    body = api.error(
        400, "POST", f"/subscribe/customers/{customer_uid}", {**card(customer_uid), field: value}
    )
    assert body["path"] == f"$input.{field}"


def test_wrong_otp_is_forbidden_and_may_be_retried(api: IamportClient, fake: FakeIamport) -> None:
    pending = fake.request_certification()
    imp_uid = pending["imp_uid"]
    wrong = "0000" if pending["__otp"] != "0000" else "1111"
    body = api.error(403, "POST", f"/certifications/otp/confirm/{imp_uid}", {"otp": wrong})
    assert body == {"message": "Wrong OTP value.", "error": "Forbidden", "statusCode": 403}
    assert api.ok("GET", f"/certifications/{imp_uid}") == pending

    api.ok("POST", f"/certifications/otp/confirm/{imp_uid}", {"otp": pending["__otp"]})
    body = api.error(
        422, "POST", f"/certifications/otp/confirm/{imp_uid}", {"otp": pending["__otp"]}
    )
    assert body == {
        "message": "Already certified.",
        "error": "Unprocessable Entity",
        "statusCode": 422,
    }


def test_deleting_a_certification_returns_it(api: IamportClient, fake: FakeIamport) -> None:
    pending = fake.request_certification(merchant_uid="order-1")
    assert pending["merchant_uid"] == "order-1"
    assert api.ok("DELETE", f"/certifications/{pending['imp_uid']}") == pending
    api.error(404, "GET", f"/certifications/{pending['imp_uid']}")


@pytest.mark.parametrize(
    ("birth", "gender_digit", "unix", "gender"),
    [
        ("19880230", "2", 573_177_600, "0"),  # 30 February rolls over to 1 March, as in JS
        ("20000101", "x", 946_684_800, "NaN"),
        ("19700101", "3", 0, "1"),
    ],
)
def test_birth_and_gender_are_computed_like_javascript(
    api: IamportClient, birth: str, gender_digit: str, unix: int, gender: str
) -> None:
    request = otp_body(
        phone="010-1111-2222",
        birth=birth,
        gender_digit=gender_digit,
        carrier="SKT",
        merchant_uid="",
    )
    accessor = api.ok("POST", "/certifications/otp/request", request)
    record = api.ok("GET", f"/certifications/{accessor['imp_uid']}")
    assert (record["birth"], record["gender"]) == (unix, gender)
    assert record["phone"] == "01011112222"
    assert record["merchant_uid"] is None


def test_certification_birth_must_be_a_date(api: IamportClient) -> None:
    request = otp_body(name="n", phone="p", birth="19881301", carrier="SKT")
    body = api.error(400, "POST", "/certifications/otp/request", request)
    assert body["path"] == "$input.birth"
