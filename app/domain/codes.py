"""Territory codes: IBGE municipality codes (7 digits with check digit, or DATASUS's 6) and
DATASUS health-region codes (UF + 3 digits)."""

from __future__ import annotations

import re

from app.core.errors import InvalidInput

_MUNICIPALITY_CODE = re.compile(r"^[0-9]{6}([0-9])?$")
_REGION_CODE = re.compile(r"^[0-9]{5}$")
_WEIGHTS = (1, 2, 1, 2, 1, 2)


def check_digit(code6: str) -> int:
    """IBGE's check digit: weights 1,2,1,2,1,2, digits of each product summed, then mod 10."""
    total = sum(sum(divmod(int(digit) * weight, 10)) for digit, weight in zip(code6, _WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def parse_municipality_code(text: str) -> str:
    """A well-formed code (6 or 7 digits). Whether it exists, the official list decides."""
    if not _MUNICIPALITY_CODE.fullmatch(text):
        raise InvalidInput(
            f"municipality code {text!r} must have 7 digits (IBGE) or 6 digits (DATASUS)",
            code="invalid_municipality_code",
        )
    return text


def check_digit_error(code7: str) -> InvalidInput | None:
    """Why a 7-digit code absent from the official list is wrong, if its check digit says so."""
    expected = check_digit(code7[:6])
    if int(code7[6]) == expected:
        return None
    return InvalidInput(
        f"municipality code {code7} has check digit {code7[6]}, but {code7[:6]} needs {expected}",
        code="invalid_check_digit",
    )


def parse_region_code(text: str) -> str:
    if not _REGION_CODE.fullmatch(text):
        raise InvalidInput(
            f"health region code {text!r} must have 5 digits: the UF code and 3 more (e.g. 13001)",
            code="invalid_region_code",
        )
    return text
