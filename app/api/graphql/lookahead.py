"""Look-ahead for nested reads: a root field whose whole selection PostgreSQL can write (see
app.repositories.documents) is answered by one statement, and graphql-core takes its JSON as
the field's completed value instead of resolving each of its thousands of fields in Python.

The selection is read as graphql-core reads it (fragments, type conditions, @skip/@include,
merged fields, aliases, variables) into a shape (app.core.shapes) of the domain's names;
arguments are checked by the same functions the resolvers use. Anything the shape cannot say,
or the statement cannot write, falls back to the ordinary resolvers, so the answer (data and
errors) is the same either way; the parity tests hold the two paths equal."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    value_from_ast,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.api.graphql.context import Context
from app.api.graphql.types import Info, goal_page_arguments, instrument_page_arguments
from app.core.errors import InvalidInput
from app.core.pagination import PageRequest
from app.core.recent import RecentlyUsed
from app.core.shapes import Constant, Member, Related, Shape, Unsupported, Value

_STRAWBERRY = "strawberry-definition"


@dataclass(frozen=True)
class Completed:
    """A field's value already completed: graphql-core puts it in the answer as it is."""

    value: Any


@dataclass(frozen=True)
class RawJSON:
    """JSON text PostgreSQL wrote, spliced into the response as it is (see `dumps`): parsing
    it only to write it again would cost more than the rest of the request."""

    text: str


def dumps(data: object) -> str:
    """The response body, as Strawberry writes it, with each RawJSON's text in its place."""
    texts: list[str] = []
    token = secrets.token_hex(16)  # unguessable: no value in the answer can spell it

    def stand_in(value: object) -> str:
        if not isinstance(value, RawJSON):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        texts.append(value.text)
        return f"{token}{len(texts) - 1}"

    written = json.dumps(data, separators=(",", ":"), default=stand_in)
    for number, text in enumerate(texts):
        written = written.replace(f'"{token}{number}"', text, 1)
    return written


class CompletingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def complete_value(
        self, return_type: Any, field_details: Any, info: Any, path: Any, result: Any, *rest: Any
    ) -> Any:
        if type(result) is Completed:
            return result.value
        return super().complete_value(return_type, field_details, info, path, result, *rest)


# Lists with arguments: how their resolvers check them and name them for the services (a
# goal tree is no page; its one argument is its day).
_PAGED: dict[tuple[str, str], Callable[..., tuple[PageRequest | None, dict[str, Any]]]] = {
    ("Municipality", "instruments"): instrument_page_arguments,
    ("Instrument", "goals"): goal_page_arguments,
    ("Instrument", "goalTree"): lambda context, as_of: (None, {"as_of": as_of}),
}


async def whole_read(info: Info, read: Callable[[Any, Shape], Awaitable[str | None]]) -> Completed | None:
    """The field answered in one statement by `read`, or None to resolve it the usual way
    (whole reads switched off, or a selection or argument only the resolvers handle)."""
    context = info.context
    if not context.settings.graphql_whole_reads:
        return None
    try:
        shape = _shape_of(info._raw_info, context)
        found = await context.read(lambda repositories: read(repositories, shape))
    except (Unsupported, InvalidInput):  # refused before any statement ran
        return None
    return Completed(RawJSON(found) if found is not None else None)


# Shapes read before, by the field nodes they were read from (documents are parsed once, so a
# document sent again brings the same nodes), the variables and the page cap. Each entry holds
# its nodes, so no other node can take their ids while it is kept.
SHAPES_KEPT = 256
_SHAPES: RecentlyUsed[tuple[Any, ...], tuple[tuple[FieldNode, ...], Shape]] = RecentlyUsed(SHAPES_KEPT)


def _shape_of(raw: Any, context: Context) -> Shape:
    nodes = tuple(raw.field_nodes)
    variables = json.dumps(raw.variable_values or {}, sort_keys=True, default=str)
    key = (tuple(map(id, nodes)), variables, context.settings.graphql_max_page_size)
    kept = _SHAPES.get(key)
    if kept is not None and all(a is b for a, b in zip(kept[0], nodes, strict=True)):
        return kept[1]
    shape = _Reader(raw, context).field_shape()
    _SHAPES.keep(key, (nodes, shape))
    return shape


class _Reader:
    def __init__(self, raw: Any, context: Context) -> None:
        self.raw = raw
        self.context = context
        self.variables: dict[str, Any] = raw.variable_values or {}

    def field_shape(self) -> Shape:
        return self.shape(_object_type(self.raw.return_type), self.raw.field_nodes)

    def shape(self, parent: GraphQLObjectType, nodes: Iterable[FieldNode]) -> Shape:
        grouped: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self.collect(parent, node.selection_set, grouped)
        return tuple((key, self.member(parent, group)) for key, group in grouped.items())

    def collect(
        self, parent: GraphQLObjectType, selections: SelectionSetNode, into: dict[str, list[FieldNode]]
    ) -> None:
        for selection in selections.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                into.setdefault((selection.alias or selection.name).value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self.applies(selection.type_condition, parent):
                    self.collect(parent, selection.selection_set, into)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.raw.fragments[selection.name.value]
                fragment = getattr(fragment, "definition", fragment)  # graphql-core 3.3 wraps them
                if self.applies(fragment.type_condition, parent):
                    self.collect(parent, fragment.selection_set, into)

    def included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                raise Unsupported(f"directive @{name}")
            condition = value_from_ast(directive.arguments[0].value, GraphQLNonNull(GraphQLBoolean), self.variables)
            if (name == "skip") == bool(condition):
                return False
        return True

    def applies(self, condition: Any, parent: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        wanted = self.raw.schema.get_type(condition.name.value)
        if wanted is parent:
            return True
        return bool(is_abstract_type(wanted) and self.raw.schema.is_sub_type(wanted, parent))

    def member(self, parent: GraphQLObjectType, group: list[FieldNode]) -> Member:
        node = group[0]
        name = node.name.value
        if name == "__typename":
            return Constant(parent.name)
        field = parent.fields[name]
        python_name = field.extensions[_STRAWBERRY].python_name
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            if node.arguments:
                raise Unsupported(f"{parent.name}.{name} with arguments")
            if name == "id":  # a global id: the type and its REST key
                origin = parent.extensions[_STRAWBERRY].origin
                return Value(getattr(origin, "node_key", "database_id"), prefix=f"{parent.name}:")
            return Value(python_name)
        arguments, page = self.arguments(parent, name, field, node)
        shape = self.shape(_object_type(field.type), group)
        return Related(python_name, shape, arguments, page)

    def arguments(
        self, parent: GraphQLObjectType, name: str, field: Any, node: FieldNode
    ) -> tuple[tuple[tuple[str, Any], ...], PageRequest | None]:
        if not field.args:
            return (), None
        check = _PAGED.get((parent.name, name))
        if check is None:
            raise Unsupported(f"{parent.name}.{name} with arguments")
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        values: dict[str, Any] = {}
        for argument_name, argument in field.args.items():
            value: Any = Undefined
            if argument_name in given:
                value = value_from_ast(given[argument_name], argument.type, self.variables)
            if value is Undefined:
                value = None if argument.default_value is Undefined else argument.default_value
            values[argument.extensions[_STRAWBERRY].python_name] = value
        page, filters = check(self.context, **values)
        return tuple(filters.items()), page


def _object_type(graphql_type: Any) -> GraphQLObjectType:
    named = get_named_type(graphql_type)
    if not isinstance(named, GraphQLObjectType):
        raise Unsupported(f"a selection on {named}")
    return named
