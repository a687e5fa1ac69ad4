"""Bank names as people write them (refund accounts of our API) to PortOne's `Bank` codes."""

from __future__ import annotations

# Korean names, with and without the "은행" suffix, of the banks that hold personal accounts.
_NAMES = {
    "산업": "KDB",
    "기업": "IBK",
    "국민": "KOOKMIN",
    "KB국민": "KOOKMIN",
    "수협": "SUHYUP",
    "농협": "NONGHYUP",
    "NH농협": "NONGHYUP",
    "지역농협": "LOCAL_NONGHYUP",
    "우리": "WOORI",
    "SC제일": "STANDARD_CHARTERED",
    "제일": "STANDARD_CHARTERED",
    "씨티": "CITI",
    "한국씨티": "CITI",
    "대구": "DAEGU",
    "iM뱅크": "DAEGU",
    "부산": "BUSAN",
    "광주": "KWANGJU",
    "제주": "JEJU",
    "전북": "JEONBUK",
    "경남": "KYONGNAM",
    "새마을금고": "KFCC",
    "새마을": "KFCC",
    "신협": "SHINHYUP",
    "저축은행": "SAVINGS_BANK",
    "우체국": "POST",
    "하나": "HANA",
    "KEB하나": "HANA",
    "신한": "SHINHAN",
    "케이뱅크": "K_BANK",
    "카카오뱅크": "KAKAO",
    "카카오": "KAKAO",
    "토스뱅크": "TOSS",
    "토스": "TOSS",
}


def bank_code(name: str) -> str:
    """`신한은행`/`신한` → `SHINHAN`; anything else (e.g. a code already) is passed as is."""
    compact = "".join(name.split())
    if compact in _NAMES:
        return _NAMES[compact]
    if compact.endswith("은행") and compact[:-2] in _NAMES:
        return _NAMES[compact[:-2]]
    return name.strip().upper()
