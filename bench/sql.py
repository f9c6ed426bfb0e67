"""The floor: each read as one statement in which PostgreSQL builds the whole JSON body
(`json_agg`), as PostgREST does. The floor app serves these, and pgbench runs them.

`{target}` is where the scenario's key goes: `$1` in the floor app, and a lookup in the
`bench_target` table in pgbench, which cannot draw random UUIDs itself. Labels and rules are
taken from the domain, so the floor's body holds what the product's does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeVar

from app.domain.goal_rules import CLOSED, GOAL_STATUS_LABELS, LEVEL_LABELS, MONITORED
from app.domain.instrument_rules import (
    STATUS_LABELS,
    Calendar,
    Kind,
    Situation,
    Status,
    deadline,
    period_of,
    plan_start_covering,
)
from app.repositories.panels import situation_sql

PAGE_SIZE = 100
NESTED_GOALS = 20


_Code = TypeVar("_Code", bound=str)  # a domain enum of codes


def _labels(labels: Mapping[_Code, str]) -> str:
    return "'" + json.dumps({str(k): v for k, v in labels.items()}).replace("'", "''") + "'::jsonb"


def _list(values: frozenset[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


_STATUS_OUT = f"""CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object(
    'id', s.id, 'goal_id', s.goal_id, 'round_id', s.round_id, 'reported_on', s.reported_on,
    'status', s.status, 'status_label', {_labels(GOAL_STATUS_LABELS)} ->> s.status,
    'percent_complete', s.percent_complete, 'achieved_value', s.achieved_value, 'details', s.details,
    'difficulties', s.difficulties, 'expected_delivery', s.expected_delivery, 'next_steps', s.next_steps,
    'partial_product', s.partial_product, 'responsible', s.responsible, 'supersedes', s.supersedes_id,
    'superseded_by', NULL, 'author_id', s.author_id, 'recorded_at', s.recorded_at) END"""

_OVERDUE = f"""(g.level IN {_list(MONITORED)} AND g.deadline < current_date
    AND coalesce(s.status, '') NOT IN {_list(CLOSED)})"""

_GOAL_OUT = f"""json_build_object(
    'id', g.id, 'instrument_id', g.instrument_id, 'parent_id', g.parent_id, 'level', g.level,
    'level_label', {_labels(LEVEL_LABELS)} ->> g.level, 'number', g.number, 'description', g.description,
    'indicator_name', g.indicator_name, 'indicator_unit', g.indicator_unit, 'polarity', g.polarity,
    'baseline_value', g.baseline_value, 'baseline_year', g.baseline_year, 'target_value', g.target_value,
    'yearly_targets', g.yearly_targets, 'deadline', g.deadline, 'deadline_precision', g.deadline_precision,
    'prazo', to_char(g.deadline, CASE g.deadline_precision WHEN 'month' THEN 'MM/YYYY' ELSE 'DD/MM/YYYY' END),
    'responsible', g.responsible, 'responsible_user_id', g.responsible_user_id, 'partners', g.partners,
    'scope', g.scope, 'status', s.status, 'overdue', {_OVERDUE},
    'days_overdue', CASE WHEN {_OVERDUE} THEN current_date - g.deadline ELSE 0 END,
    'current_status', {_STATUS_OUT}, 'version', g.version)"""

_CURRENT = """LEFT JOIN LATERAL (
    SELECT * FROM status_update s WHERE s.goal_id = g.id AND s.reported_on <= current_date
      AND NOT EXISTS (SELECT 1 FROM status_update c WHERE c.supersedes_id = s.id)
    ORDER BY s.reported_on DESC, s.id DESC LIMIT 1) s ON true"""

# The goal columns the floor's bodies read: not `*`, which would carry the product's kept JSON
# (goal.own_json) through the floor's sorts.
_GOAL_COLUMNS = (
    "id, sort_key, instrument_id, parent_id, level, number, description, indicator_name, indicator_unit, polarity, "
    "baseline_value, baseline_year, target_value, yearly_targets, deadline, deadline_precision, responsible, "
    "responsible_user_id, partners, scope, version"
)

GOALS_PAGE = f"""SELECT json_build_object('items', coalesce(json_agg({_GOAL_OUT} ORDER BY g.sort_key), '[]'),
  'next_cursor', NULL)::text
FROM (SELECT {_GOAL_COLUMNS} FROM goal WHERE instrument_id = {{target}} AND level = 'meta'
      ORDER BY sort_key LIMIT {PAGE_SIZE}) g
{_CURRENT}"""

_SITUATION = situation_sql("i.deadline", "i.milestone_on", "current_date")

INSTRUMENT = f"""SELECT json_build_object(
  'id', i.id, 'kind', i.kind, 'owner_type', i.owner_type, 'owner', i.owner_code, 'uf', i.uf,
  'municipality_code', i.municipality_code, 'region_code', i.region_code, 'organization_id', i.organization_id,
  'year', i.year, 'quadrimester', i.quadrimester, 'end_year', i.end_year, 'status', i.status,
  'status_label', {_labels(STATUS_LABELS)} ->> i.status, 'deadline', i.deadline, 'milestone_on', i.milestone_on,
  'situation', {_SITUATION},
  'days_late', CASE WHEN i.deadline IS NULL THEN 0 ELSE greatest(0,
      CASE WHEN i.milestone_on IS NOT NULL AND i.milestone_on <= current_date THEN i.milestone_on ELSE current_date END
      - i.deadline) END,
  'title', i.title, 'document_url', i.document_url, 'notes', i.notes, 'goal_structure', i.goal_structure,
  'version', i.version)::text
FROM instrument i WHERE i.id = {{target}}"""


_DUE = "CASE WHEN i.id IS NULL THEN w.due ELSE i.deadline END"  # a missing instrument's is the law's


def panel(year: int) -> str:
    """The national panel by UF for `year`: every expected instrument of every state and
    municipality, missing ones included (as not started, with the default calendar's deadline)."""
    wanted = []
    for kind, quadrimester in ((None, None), (Kind.PAS, None), *((Kind.RDQA, q) for q in (1, 2, 3)), (Kind.RAG, None)):
        start = plan_start_covering(year) if kind is None else year
        due = deadline(kind or Kind.PMS, period_of(kind or Kind.PMS, start, quadrimester), Calendar())
        wanted.append(f"({(kind and repr(kind.value)) or 'NULL'}, {start}, {quadrimester or 0}, DATE '{due}')")
    statuses = ", ".join(f"'{s}', count(*) FILTER (WHERE status = '{s}')" for s in Status)
    situations = ", ".join(f"'{s}', count(*) FILTER (WHERE situation = '{s}')" for s in Situation)
    shares = ", ".join(
        f"'{s}', round(count(*) FILTER (WHERE situation = '{s}')::numeric / count(*), 4)" for s in Situation
    )
    return f"""WITH wanted(kind, start, quadrimester, due) AS (VALUES {", ".join(wanted)}),
entes AS (SELECT 'state' AS owner_type, uf AS owner_code, uf, 'PES' AS plan FROM state
          UNION ALL SELECT 'municipality', code, uf, 'PMS' FROM municipality),
expected AS (
  SELECT e.uf, coalesce(i.status, 'nao_iniciado') AS status,
    {situation_sql(_DUE, "i.milestone_on", "current_date")} AS situation
  FROM entes e CROSS JOIN wanted w
  LEFT JOIN instrument i ON i.owner_type = e.owner_type AND i.owner_code = e.owner_code
    AND i.kind = coalesce(w.kind, e.plan) AND i.year = w.start AND coalesce(i.quadrimester, 0) = w.quadrimester),
groups AS (
  SELECT uf AS key, {year} AS year, count(*) AS total, json_build_object({statuses}) AS by_status,
         json_build_object({situations}) AS by_situation, json_build_object({shares}) AS shares
  FROM expected GROUP BY uf)
SELECT json_build_object('group_by', 'uf', 'kind', NULL, 'as_of', NULL, 'groups', json_agg(json_build_object(
  'key', g.key, 'name', st.name, 'year', g.year, 'total', g.total, 'by_status', g.by_status,
  'by_situation', g.by_situation, 'shares', g.shares) ORDER BY g.key))::text
FROM groups g JOIN state st ON st.uf = g.key"""


NESTED = f"""SELECT json_build_object('data', json_build_object('region', json_build_object(
  'code', r.code, 'name', r.name, 'municipalities', coalesce((
    SELECT json_agg(json_build_object('code', m.code, 'name', m.name,
      'instruments', json_build_object('edges', coalesce((
      SELECT json_agg(json_build_object('node', json_build_object('databaseId', i.id, 'kind', i.kind, 'year', i.year,
        'status', i.status, 'goals', json_build_object('edges', coalesce((
          SELECT json_agg(json_build_object('node', json_build_object('databaseId', g.id, 'number', g.number,
            'description', g.description, 'deadline', g.deadline,
            'currentStatus', CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object('reportedOn', s.reported_on,
              'status', s.status, 'percentComplete', s.percent_complete) END)) ORDER BY g.sort_key)
          FROM (SELECT {_GOAL_COLUMNS} FROM goal WHERE instrument_id = i.id ORDER BY sort_key LIMIT {NESTED_GOALS}) g
          {_CURRENT}), '[]')))) ORDER BY i.id)
      FROM (SELECT * FROM instrument WHERE municipality_code = m.code ORDER BY id LIMIT 50) i), '[]')))
      ORDER BY m.code)
    FROM region_membership rm JOIN municipality m ON m.code = rm.municipality_code
    WHERE rm.region_code = r.code AND rm.valid_to IS NULL), '[]'))))::text
FROM health_region r WHERE r.code = {{target}}"""
