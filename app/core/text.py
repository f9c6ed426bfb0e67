import unicodedata
from decimal import Decimal


def search_key(text: str) -> str:
    """Accent- and case-insensitive form used to store and match names ("São" -> "sao")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def decimal_comma(value: float) -> str:
    """As pt-BR spreadsheets write numbers: a decimal comma, never an exponent (5e-05 is
    0,00005), and no needless ",0"."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f").replace(".", ",")
