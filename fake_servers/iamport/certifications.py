"""Identity verification by one-time password (`/certifications`)."""

from __future__ import annotations

import math
import re
from typing import Any

from fake_servers.common.http import HttpError

from . import messages
from .records import Certification
from .state import State


def request_otp(state: State, request: dict[str, Any]) -> Certification:
    """Start a verification; its OTP is readable through `GET /certifications/:imp_uid`."""
    birth = request["birth"]
    certification = Certification(
        merchant_uid=request.get("merchant_uid") or None,
        name=request["name"],
        gender=_gender(request["gender_digit"]),
        birth=_utc_midnight(int(birth[:4]), int(birth[4:6]), int(birth[6:8])),
        birthday=birth,
        phone=request["phone"].replace("-", ""),
        carrier=request["carrier"],
    )
    return state.certifications.set(certification.imp_uid, certification)


def find_certification(state: State, imp_uid: str) -> Certification:
    return state.certifications.get(imp_uid)


def confirm_otp(state: State, imp_uid: str, otp: str) -> Certification:
    """Complete the verification; a wrong OTP changes nothing and may be retried."""
    with state.lock:
        certification = state.certifications.get(imp_uid)
        if certification.certified:
            raise HttpError(422, messages.ALREADY_CERTIFIED)
        if otp != certification.otp:
            raise HttpError(403, messages.WRONG_OTP)
        certification.certified = True
        certification.certified_at = state.clock.seconds()
        return certification


def remove_certification(state: State, imp_uid: str) -> Certification:
    return state.certifications.pop(imp_uid)


def _utc_midnight(year: int, month: int, day: int) -> int:
    """Unix seconds of the date's UTC midnight; a day past the month's end rolls over, as in JS."""
    # Days from 1970-01-01 to the first of the month (proleptic Gregorian, any year >= 0).
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    return (days + day - 1) * 86400


_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_RADIX = {
    "0x": (16, re.compile(r"^[0-9a-f]+$")),
    "0o": (8, re.compile(r"^[0-7]+$")),
    "0b": (2, re.compile(r"^[01]+$")),
}


def _gender(digit: str) -> str:
    """`String(Number(digit) % 2)`: "1" for odd, "0" for even, "NaN" for anything else."""
    number = _js_number(digit)
    if not math.isfinite(number):
        return "NaN"
    value = math.fmod(number, 2)
    return str(int(value)) if value.is_integer() else repr(value)


def _js_number(text: str) -> float:
    """JavaScript's `Number(text)` for a string."""
    text = text.strip()
    if not text:
        return 0.0
    if _DECIMAL.match(text):
        return float(text)
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text.startswith("-") else math.inf
    radix = _RADIX.get(text[:2].lower())
    if radix is not None and radix[1].match(text[2:].lower()):
        return float(int(text[2:], radix[0]))
    return math.nan
