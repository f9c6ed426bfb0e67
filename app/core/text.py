import unicodedata


def search_key(text: str) -> str:
    """Accent- and case-insensitive form used to store and match names ("São" -> "sao")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
