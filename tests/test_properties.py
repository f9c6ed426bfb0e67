"""Property-based tests of the pure domain rules: codes, bindings, login throttling, cursors,
search keys, the municipality-per-line territory file, and the rows' keys. No database."""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import string
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql
from sqlmodel import col

from app.core.errors import InvalidInput
from app.core.pagination import JsonNode, decode_cursor, encode_cursor
from app.core.principal import Principal, Role
from app.core.text import search_key
from app.domain.access import Binding, binding_error
from app.domain.auth import LoginThrottle
from app.domain.codes import check_digit, check_digit_error, parse_municipality_code, parse_region_code
from app.domain.goals import nest_json
from app.domain.reference import official_list
from app.domain.territory_files import parse_municipality_regions
from app.repositories.scoping import instrument_scope, scope_values, visible_instruments
from app.repositories.tables import Instrument, uuid7

BOUNDED = settings(max_examples=200, deadline=None)
BOUNDED_FILES = settings(max_examples=100, deadline=None)  # each example builds and parses a file
ASCII_DIGITS = "0123456789"


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=ASCII_DIGITS, min_size=size, max_size=size)


# Strings that are almost codes: ASCII digit runs of nearby lengths, with a stray character before,
# inside or after them (a newline, a space, a letter, a non-ASCII digit, a NUL).
_STRAYS = ["", "\n", "\r", " ", "\t", "a", "-", "\x00", "\u0663", "\uff11", "\u00b2"]
near_codes = st.builds(
    lambda head, tail, stray, position: (
        (head + stray + tail)
        if position == "inside"
        else (stray + head + tail if position == "before" else head + tail + stray)
    ),
    st.text(alphabet=ASCII_DIGITS, min_size=0, max_size=5),
    st.text(alphabet=ASCII_DIGITS, min_size=0, max_size=4),
    st.sampled_from(_STRAYS),
    st.sampled_from(["before", "inside", "after"]),
)
candidate_codes = st.one_of(st.text(max_size=12), near_codes)


def is_ascii_digits(text: str, *lengths: int) -> bool:
    return len(text) in lengths and all(ch in ASCII_DIGITS for ch in text)


# --- app/domain/codes.py -----------------------------------------------------------------------


def ibge_check_digit(code6: str) -> int:
    """IBGE's rule, written out independently: digits weighted 1,2,1,2,1,2; the digits of each
    product are added up; the check digit takes that sum to the next multiple of ten."""
    total = 0
    for position, digit in enumerate(code6):
        product = int(digit) * (2 if position % 2 else 1)
        total += product // 10 + product % 10
    return -total % 10


# Real municipalities whose codes break the rule; the official list is the authority for them.
RULE_BREAKERS = ["2201919", "2201988", "2202251", "2611533", "3117836", "3152131", "4305871", "5203939", "5203962"]


@BOUNDED
@given(digits(6))
def test_check_digit_accepts_exactly_one_final_digit(code6: str) -> None:
    expected = check_digit(code6)
    assert expected == ibge_check_digit(code6)
    assert check_digit_error(code6 + str(expected)) is None
    for wrong in set(range(10)) - {expected}:
        error = check_digit_error(code6 + str(wrong))
        assert isinstance(error, InvalidInput)
        assert error.code == "invalid_check_digit"
        assert f"needs {expected}" in error.detail


def test_check_digit_of_known_codes() -> None:
    assert check_digit("130260") == 3  # Manaus 1302603
    assert check_digit("355030") == 8  # São Paulo 3550308
    assert check_digit("130380") == 9  # São Gabriel da Cachoeira 1303809


def test_official_list_agrees_with_the_check_digit_except_for_nine_codes() -> None:
    municipalities = official_list().municipalities
    assert len(municipalities) == 5570
    assert all(is_ascii_digits(m.code, 7) for m in municipalities)
    breaking = sorted(m.code for m in municipalities if ibge_check_digit(m.code[:6]) != int(m.code[6]))
    assert breaking == RULE_BREAKERS
    for municipality in municipalities:
        if municipality.code in RULE_BREAKERS:
            assert check_digit_error(municipality.code) is not None
        else:
            assert check_digit(municipality.code[:6]) == int(municipality.code[6])
            assert check_digit_error(municipality.code) is None


@BOUNDED
@given(st.one_of(digits(6), digits(7)))
def test_six_or_seven_ascii_digits_are_a_municipality_code(code: str) -> None:
    assert parse_municipality_code(code) == code


@BOUNDED
@given(candidate_codes)
@example("130260\n")
@example("1302603\n")
def test_anything_else_is_not_a_municipality_code(text: str) -> None:
    if is_ascii_digits(text, 6, 7):
        assert parse_municipality_code(text) == text
        return
    with pytest.raises(InvalidInput) as raised:
        parse_municipality_code(text)
    assert raised.value.code == "invalid_municipality_code"


@BOUNDED
@given(candidate_codes)
@example("13001")
@example("13001\n")
def test_region_codes_are_exactly_five_ascii_digits(text: str) -> None:
    if is_ascii_digits(text, 5):
        assert parse_region_code(text) == text
        return
    with pytest.raises(InvalidInput) as raised:
        parse_region_code(text)
    assert raised.value.code == "invalid_region_code"


# --- app/domain/access.py ----------------------------------------------------------------------

_ORGANIZATION_ROLES = {Role.CONASEMS, Role.COSEMS, Role.SES}


def binding_fits(role: Role, binding: Binding) -> bool:
    """The role/binding table (product.md §5), written independently of app.domain.access."""
    uf, municipality, regions = binding.uf, binding.municipality_code, binding.region_codes
    if binding.organization_id is not None and role not in _ORGANIZATION_ROLES:
        return False
    if role in (Role.ADMIN, Role.CONASEMS):
        return uf is None and municipality is None and not regions
    if role in (Role.COSEMS, Role.SES):
        return uf is not None and municipality is None and not regions
    if role is Role.AUDITOR:
        return municipality is None and not regions
    if role is Role.APOIADOR:
        return len(regions) >= 1 and municipality is None and len({code[:2] for code in regions}) == 1
    assert role in (Role.GESTOR, Role.CONSELHO), role
    return not regions and (uf is not None or municipality is not None)


bindings = st.builds(
    Binding,
    uf=st.sampled_from([None, "AM", "SP"]),
    municipality_code=st.sampled_from([None, "1302603"]),
    region_codes=st.lists(st.sampled_from(["13001", "13002", "35001"]), max_size=3).map(tuple),
    organization_id=st.one_of(st.none(), st.uuids()),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(Role)), bindings)
def test_binding_error_follows_the_role_table(role: Role, binding: Binding) -> None:
    error = binding_error(role, binding)
    if binding_fits(role, binding):
        assert error is None
    else:
        assert isinstance(error, str)
        assert error


def test_binding_table_over_the_whole_small_domain() -> None:
    """The same oracle over every combination (8 roles x 3 UFs x 2 municipalities x 40 region
    tuples x 2 organizations), so no corner is left to chance."""
    region_tuples = [
        regions for size in range(4) for regions in itertools.product(("13001", "13002", "35001"), repeat=size)
    ]
    assert len(region_tuples) == 40
    accepted = 0
    for role in Role:
        for uf in (None, "AM", "SP"):
            for municipality in (None, "1302603"):
                for regions in region_tuples:
                    for organization in (None, uuid.UUID(int=1)):
                        binding = Binding(uf, municipality, regions, organization)
                        fits = binding_fits(role, binding)
                        assert (binding_error(role, binding) is None) == fits, (role, binding)
                        accepted += fits
    assert accepted > 0


# --- app/domain/auth.py LoginThrottle ----------------------------------------------------------


@dataclass
class FixedWindowOracle:
    """Failures are counted in a window opened by the first failure after the previous window
    closed; an account with max_failures failures in its open window waits for it to close."""

    max_failures: int
    window: timedelta
    start: datetime | None = None
    failures: int = 0

    def locked_until(self, now: datetime) -> datetime | None:
        if self.start is None or now >= self.start + self.window or self.failures < self.max_failures:
            return None
        return self.start + self.window

    def fail(self, now: datetime) -> None:
        if self.start is None or now >= self.start + self.window:
            self.start, self.failures = now, 1
        else:
            self.failures += 1


T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    max_failures=st.integers(1, 6),
    window_seconds=st.integers(1, 900),
    gaps_ms=st.lists(st.one_of(st.integers(0, 1500), st.integers(0, 2_000_000)), min_size=1, max_size=40),
)
@example(max_failures=3, window_seconds=10, gaps_ms=[0, 0, 0, 0, 9_999, 1, 0])
def test_login_throttle_locks_after_max_failures_within_one_window(
    max_failures: int, window_seconds: int, gaps_ms: list[int]
) -> None:
    window = timedelta(seconds=window_seconds)
    throttle = LoginThrottle(max_failures=max_failures, window=window)
    oracle = FixedWindowOracle(max_failures, window)
    start: datetime | None = None
    failures = 0
    now = T0
    for gap in gaps_ms:
        now += timedelta(milliseconds=gap)
        wait = throttle.retry_after(now, start, failures)
        until = oracle.locked_until(now)
        if until is None:
            assert wait is None, (now, start, failures)
            # Not locked: the attempt is tried and fails, and the account row records it.
            start, failures = throttle.after_failure(now, start, failures)
            oracle.fail(now)
            assert (start, failures) == (oracle.start, oracle.failures)
            continue
        # Locked: the attempt is refused before the password is checked, and not counted.
        assert wait is not None
        assert 0 < wait <= window_seconds + 1
        assert until <= now + timedelta(seconds=wait) <= until + timedelta(seconds=1)  # enough, not much more
        assert throttle.retry_after(until, start, failures) is None  # once the window passes, free again
        assert throttle.retry_after(now + timedelta(seconds=wait), start, failures) is None


def test_login_throttle_really_locks() -> None:
    throttle = LoginThrottle(max_failures=5, window=timedelta(seconds=900))
    start, failures = None, 0
    for second in range(5):
        assert throttle.retry_after(T0 + timedelta(seconds=second), start, failures) is None
        start, failures = throttle.after_failure(T0 + timedelta(seconds=second), start, failures)
    assert throttle.retry_after(T0 + timedelta(seconds=5), start, failures) == 896
    assert throttle.retry_after(T0 + timedelta(seconds=900), start, failures) is None


# --- app/repositories/tables.py uuid7 --------------------------------------------------------------

MILLIS = st.integers(0, 2**48 - 1)
RANDOM_BITS = st.integers(0, 2**74 - 1)


@BOUNDED
@given(MILLIS, RANDOM_BITS)
def test_a_uuid7_holds_its_milliseconds_and_all_its_random_bits(millis: int, random_bits: int) -> None:
    key = uuid7(millis, random_bits)
    assert (key.version, key.variant) == (7, uuid.RFC_4122)
    assert key.int >> 80 == millis
    assert (key.int >> 64 & 0xFFF) << 62 | key.int & (2**62 - 1) == random_bits


@BOUNDED
@given(MILLIS, MILLIS, RANDOM_BITS, RANDOM_BITS)
def test_a_later_uuid7_sorts_after_an_earlier_one(first: int, second: int, bits: int, other_bits: int) -> None:
    assume(first != second)
    earlier, later = sorted((first, second))
    assert uuid7(earlier, bits) < uuid7(later, other_bits)
    assert str(uuid7(earlier, bits)) < str(uuid7(later, other_bits))  # as PostgreSQL orders them too


# --- app/repositories/scoping.py instrument_scope ---------------------------------------------------

principals = st.builds(
    Principal,
    user_id=st.none() | st.uuids(),
    role=st.none() | st.sampled_from(Role),
    uf=st.none() | st.sampled_from(["AM", "SP"]),
    municipality_code=st.none() | st.sampled_from(["1302603", "3550308"]),
    region_codes=st.frozensets(st.sampled_from(["13001", "13002", "35001"]), max_size=2),
    organization_id=st.none() | st.uuids(),
)


def _sql(clause: Any, values: dict[str, Any] | None = None) -> str:
    statement = sa.select(col(Instrument.id)).where(clause).params(values or {})
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


# Drawn callers include ones no account can be (an SES without its UF), compared with NULL.
@pytest.mark.filterwarnings("ignore:Bound parameter .* rendering literal NULL")
@given(principals, st.uuids(), st.none() | st.uuids())
def test_accounts_bound_alike_share_a_scope_whose_statement_reads_as_their_own(
    principal: Principal, user_id: uuid.UUID, organization_id: uuid.UUID | None
) -> None:
    """Statements are kept per scope and given each caller's values when run: accounts bound to
    the same territory share them, and a scope's statement run with a caller's values reads
    what the caller's own predicate reads."""
    other = replace(principal, user_id=user_id, organization_id=organization_id)
    assert (instrument_scope(other), scope_values(other)) == (instrument_scope(principal), scope_values(principal))
    scoped = visible_instruments(instrument_scope(principal))
    assert _sql(scoped, scope_values(principal)) == _sql(visible_instruments(principal))


# --- app/domain/goals.py nest_json --------------------------------------------------------------


@st.composite
def goal_nodes(draw: st.DrawFn) -> list[JsonNode]:
    """Nodes in reading order, each under an earlier node, a later one, an absent one, or none."""
    ids = [uuid.UUID(int=n + 1) for n in range(draw(st.integers(0, 12)))]
    absent = uuid.UUID(int=999)
    parents = [draw(st.sampled_from([None, absent, *ids])) for _ in ids]
    return [JsonNode(i, parent, json.dumps({"id": str(i)}).encode()) for i, parent in zip(ids, parents, strict=True)]


@given(goal_nodes())
def test_nest_json_nests_each_node_under_an_earlier_parent_and_makes_the_rest_roots(nodes: list[JsonNode]) -> None:
    trees = json.loads(nest_json(nodes))
    earlier: set[uuid.UUID] = set()
    expected_children: dict[uuid.UUID | None, list[str]] = {}
    for node in nodes:
        expected_children.setdefault(node.parent_id if node.parent_id in earlier else None, []).append(str(node.id))
        earlier.add(node.id)

    def walk(found: list[dict[str, Any]]) -> list[str]:
        return [item["id"] for item in found] + [i for item in found for i in walk(item["children"])]

    assert sorted(walk(trees)) == sorted(str(node.id) for node in nodes)  # each node once
    assert [tree["id"] for tree in trees] == expected_children.get(None, [])

    def check(item: dict[str, Any]) -> None:
        assert [child["id"] for child in item["children"]] == expected_children.get(uuid.UUID(item["id"]), [])
        for child in item["children"]:
            check(child)

    for tree in trees:
        check(tree)


# --- app/core/pagination.py --------------------------------------------------------------------

cursor_values = st.lists(st.one_of(st.none(), st.integers(), st.text()), max_size=6).map(tuple)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(), children, max_size=4)),
    max_leaves=12,
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@BOUNDED
@given(cursor_values)
def test_cursor_round_trips(values: tuple[str | int | None, ...]) -> None:
    cursor = encode_cursor(values)
    assert cursor.isascii()
    assert "=" not in cursor
    assert decode_cursor(cursor) == values


def _decodes_or_is_invalid_cursor(text: str) -> None:
    error: InvalidInput | None = None
    try:
        values = decode_cursor(text)
    except InvalidInput as exc:
        error = exc
    if error is not None:
        assert error.code == "invalid_cursor"
        return
    assert isinstance(values, tuple)
    assert all(value is None or isinstance(value, str | int) for value in values)


@BOUNDED
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=string.ascii_letters + string.digits + "-_=+/"),
        json_values.map(lambda value: _b64(json.dumps(value).encode())),
        st.binary().map(_b64),
    )
)
def test_any_text_decodes_to_a_tuple_or_is_an_invalid_cursor(text: str) -> None:
    _decodes_or_is_invalid_cursor(text)


def test_deeply_nested_cursor_is_an_invalid_cursor() -> None:
    """`json.loads` raises RecursionError on deep nesting; a cursor must still be just invalid
    (REST caps cursors at 512 characters, but the module serves every list API)."""
    _decodes_or_is_invalid_cursor(_b64(b"[" * 100_000 + b"]" * 100_000))


# --- app/core/text.py --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("São Gabriel da Cachoeira")
@example("ǅ İ ß ﬁ Ⅻ ᾀ ẛ")
def test_search_key_is_idempotent_caseless_and_unaccented(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert key == key.casefold()
    assert not any(unicodedata.combining(ch) for ch in key)
    assert key == " ".join(key.split())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x24F)))
def test_search_key_of_latin_text_is_lower_case(text: str) -> None:
    # (Unicode folds a few scripts, e.g. Cherokee, to upper case; Latin folds to lower case.)
    key = search_key(text)
    assert key == key.lower()


def test_search_key_examples() -> None:
    assert search_key("São Gabriel") == "sao gabriel"
    assert search_key("  SÃO   GABRIEL da Cachoeira ") == "sao gabriel da cachoeira"
    assert search_key("Embu-Guaçu") == "embu-guacu"
    assert all(m.search_name.isascii() for m in official_list().municipalities)


# --- app/domain/territory_files.py parse_municipality_regions ----------------------------------

HEADER = ["region", "state", "city", "state_code", "city_code", "health_region_code", "health_region", "population"]
# Names as planners write them, commas and quotes included: the csv module quotes them.
NAME_ALPHABET = string.ascii_letters + " -'.,\"" + "ãáâàçéêíóôõúÃÁÉÇ"
names = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
letters_names = st.text(alphabet=string.ascii_letters + " ãçé", min_size=1, max_size=20).map(str.strip).filter(bool)


@dataclass(frozen=True)
class Row:
    macro: str
    state: str
    city: str
    state_code: str
    city_code: str
    region_code: str
    region: str
    population: int | None

    def cells(self) -> list[str]:
        population = "" if self.population is None else str(self.population)
        return [
            self.macro,
            self.state,
            self.city,
            self.state_code,
            self.city_code,
            self.region_code,
            self.region,
            population,
        ]


@st.composite
def territory_rows(draw: st.DrawFn, names: st.SearchStrategy[str] = names) -> list[Row]:
    """Consistent rows: distinct municipalities (by their 6-digit code) inside their state, region codes inside the
    same state, one name per region code."""
    count = draw(st.integers(1, 12))
    state_codes = draw(st.lists(st.integers(11, 53).map(str), min_size=1, max_size=3))
    region_names: dict[str, str] = {}
    rows: list[Row] = []
    seen: set[str] = set()
    for _ in range(count):
        state_code = draw(st.sampled_from(state_codes))
        city_code = state_code + draw(digits(5))
        if city_code[:6] in seen:  # 6 digits name a municipality; the 7th is its check digit
            continue
        seen.add(city_code[:6])
        region_code = state_code + draw(st.sampled_from(["001", "002", "017"]))
        region = region_names.setdefault(region_code, draw(names))
        rows.append(
            Row(
                macro=draw(names),
                state=draw(names),
                city=draw(names),
                state_code=state_code,
                city_code=city_code,
                region_code=region_code,
                region=region,
                population=draw(st.one_of(st.none(), st.integers(0, 20_000_000))),
            )
        )
    return rows


def to_csv(rows: list[Row], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(row.cells() for row in rows)
    return out.getvalue()


def assert_parsed_exactly(rows: list[Row], content: bytes) -> None:
    parsed = parse_municipality_regions(content)
    assert parsed.errors == []
    assert parsed.lines_read == len(rows)
    assert len(parsed.memberships) == len(rows)
    for line, (row, membership) in enumerate(zip(rows, parsed.memberships, strict=True), start=2):
        assert membership.line == line
        assert membership.municipality_code == row.city_code
        assert membership.region_code == row.region_code
        assert membership.state_code == row.state_code
        assert membership.municipality_name == row.city
        assert membership.population == row.population
    regions = {row.region_code: row.region for row in rows}
    assert {region.code: region.name for region in parsed.regions} == regions
    assert len(parsed.regions) == len(regions)


@BOUNDED_FILES
@given(territory_rows(), st.sampled_from(["\n", "\r\n"]))
def test_valid_rows_parse_to_one_membership_each(rows: list[Row], newline: str) -> None:
    assert_parsed_exactly(rows, to_csv(rows, newline).encode())


@BOUNDED_FILES
@given(territory_rows(letters_names))
def test_latin1_files_decode(rows: list[Row]) -> None:
    rows = [
        Row(
            r.macro,
            r.state,
            r.city + " São João",
            r.state_code,
            r.city_code,
            r.region_code,
            r.region + " ã",
            r.population,
        )
        for r in rows
    ]
    content = to_csv(rows).encode("latin-1")
    assert_parsed_exactly(rows, content)


@BOUNDED_FILES
@given(territory_rows(), st.data())
def test_an_unquoted_comma_in_a_region_name_is_reported_on_its_line(rows: list[Row], data: st.DataObject) -> None:
    """The shipped sample's broken lines: a region name with a comma, unquoted, and no
    population, so the population column receives the rest of the name."""
    index = data.draw(st.integers(0, len(rows) - 1))
    head = data.draw(letters_names)
    tail = data.draw(letters_names.filter(lambda s: any(ch.isalpha() for ch in s)))
    lines = to_csv(rows).splitlines()
    broken = rows[index]
    quoted = io.StringIO()
    csv.writer(quoted, lineterminator="").writerow(broken.cells()[:6])
    lines[index + 1] = f"{quoted.getvalue()},{head},{tail}"
    parsed = parse_municipality_regions(("\n".join(lines) + "\n").encode())
    assert [(error.line, error.field) for error in parsed.errors] == [(index + 2, "population")]
    assert "quotes" in parsed.errors[0].reason
    assert len(parsed.memberships) == len(rows) - 1
    assert broken.city_code not in {m.municipality_code for m in parsed.memberships}


@BOUNDED_FILES
@given(territory_rows(), st.data())
def test_an_unquoted_comma_in_a_row_with_a_population_is_reported_on_its_line(
    rows: list[Row], data: st.DataObject
) -> None:
    """With a population after the name, the row has one field too many: reported on its line."""
    index = data.draw(st.integers(0, len(rows) - 1))
    head, tail = data.draw(letters_names), data.draw(letters_names)
    lines = to_csv(rows).splitlines()
    broken = rows[index]
    quoted = io.StringIO()
    csv.writer(quoted, lineterminator="").writerow(broken.cells()[:6])
    lines[index + 1] = f"{quoted.getvalue()},{head},{tail},{broken.population or 0}"
    parsed = parse_municipality_regions(("\n".join(lines) + "\n").encode())
    assert [error.line for error in parsed.errors] == [index + 2]
    assert "Quote it" in parsed.errors[0].reason
    assert len(parsed.memberships) == len(rows) - 1


ONE_ROW = [Row("Norte", "Amazonas", "Manaus", "13", "1302603", "13001", "Manaus", None)]


@BOUNDED_FILES
@given(
    territory_rows(),
    st.integers(0, 11),
    # (Line breaks in a cell are the csv layer's business: see the tests after this one.)
    st.text(alphabet=st.characters(exclude_characters="\r\n", codec="utf-8"), max_size=8),
)
@example(ONE_ROW, 0, "x1")
@example(ONE_ROW, 0, "-3")
@example(ONE_ROW, 0, "1.5")
@example(ONE_ROW, 0, "1\u0663")  # an ASCII and an Arabic-Indic digit
@example(ONE_ROW, 0, "\u00b2")  # superscript two: str.isdigit() is True, int() refuses it
@example(ONE_ROW, 0, "12\u00b3")
@example(ONE_ROW, 0, "\u2460")  # circled one
def test_any_population_text_is_a_number_or_a_population_error(rows: list[Row], index: int, population: str) -> None:
    check_population_cell(rows, index % len(rows), population)


def check_population_cell(rows: list[Row], index: int, population: str) -> None:
    """Whatever a population cell holds, the parser answers (never raises): a whole number, or
    an error on that line's population field."""
    cells = [row.cells() for row in rows]
    cells[index][7] = population
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(cells)
    parsed = parse_municipality_regions(out.getvalue().encode())
    value = population.strip()
    if not value:
        assert parsed.errors == []
        return
    errors = [(error.line, error.field) for error in parsed.errors]
    if all(ch in ASCII_DIGITS for ch in value):
        assert errors == []
        assert parsed.memberships[index].population == int(value)
    elif errors:
        assert errors == [(index + 2, "population")]
    else:  # other Unicode decimal digits may be read as a number, but then as that number
        assert parsed.memberships[index].population == int(value)


@pytest.mark.parametrize(
    "newline",
    [pytest.param("\r", id="cr-only-line-endings"), pytest.param("\n", id="lf"), pytest.param("\r\n", id="crlf")],
)
def test_any_line_ending_is_read(newline: str) -> None:
    """Files saved with old Mac line endings (CR only) made csv raise csv.Error ("new-line
    character seen in unquoted field"), a 500 on import: they are read like any other."""
    rows = [
        Row("Norte", "Amazonas", "Manaus", "13", "1302603", "13001", "Manaus, Entorno", 2_063_547),
        Row("Norte", "Amazonas", "Anori", "13", "1300102", "13002", "Rio Negro", None),
    ]
    assert_parsed_exactly(rows, to_csv(rows, newline).encode())


def test_an_unclosed_quote_in_a_large_file_is_a_line_error_not_a_crash() -> None:
    """An unbalanced quote makes csv read the rest of the file as one field; past 128 KiB the
    csv module raises csv.Error, which must become a reported problem, not an exception."""
    rows = "".join(f"Norte,Amazonas,X,13,13{n:05d},13001,Manaus,1\n" for n in range(5000))
    content = (",".join(HEADER) + "\n" + 'Norte,Amazonas,X,13,1302603,13001,"Manaus,\n' + rows).encode()
    parsed = parse_municipality_regions(content)
    assert [error.line for error in parsed.errors] == [2]  # where the quote opens, not the header
