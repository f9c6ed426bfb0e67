"""How many objects a document may answer with, refused before it runs when that is more than
one request should build. Depth and alias limits bound a document's shape, not its answer:
`first: 200` four lists deep asks for 200⁴ goals within both.

As GitHub's API does, each list counts as many objects as it may hold (a page its `first`, a
panel its groups by its grouping and years, any other list its usual size in `LIST_SIZES`) times
the lists it is inside, so a client can tell the count from the document and its variables alone,
whatever the data (and whatever its `@skip` and `@include`:
each selection counts as if it were made). The few values that are part of an object (its
yearly targets, a panel group's counts: `PARTS`) count with it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from app.core.errors import DomainError
from app.core.pagination import DEFAULT_PAGE_SIZE
from app.core.recent import RecentlyUsed
from app.domain.panels import MAX_SERIES_YEARS

# The usual length of each list that is not a page (a test keeps every one named, here or in PARTS).
LIST_SIZES: Mapping[str, int] = {
    "Goal.children": 4,  # a tree branches about four ways: 5 diretrizes, 15 objetivos, 60 metas
    "Goal.statusUpdates": 20,  # three or so a year, over a plan's four
    "Instrument.goalTree": 10,  # the top nodes (diretrizes)
    "Instrument.rounds": 5,
    "Progress.indicators": 60,
    "Progress.overdue": 60,
    "Region.municipalities": 12,  # 5,570 municipalities in about 450 regions
    "RoundReport.tree": 100,
}
# Lists that are part of the object holding them, as its fields are: a few values each, with no
# list inside (a test holds both), so they count as nothing of their own.
PARTS = frozenset(
    {
        "Compliance.instruments",
        "Goal.yearlyTargets",
        "Instrument.deliberations",
        "Instrument.hearings",
        "Instrument.history",
        "PanelGroup.byStatus",
        "PanelGroup.bySituation",
        "Problem.errors",
        "Progress.byStatus",
        "Region.membershipHistory",
    }
)
# A panel comes whole, as REST's: one group per key of its grouping (27 UFs, about 450 regions,
# 5,570 municipalities; a 27th of that within one UF) and year of its series.
PANEL_LIST = "Panel.groups"
PANEL_GROUPS = {"uf": 27, "region": 450, "municipality": 5_570}
STATES = PANEL_GROUPS["uf"]

Values = Mapping[str, Any]  # a request's variables
Factor = int | Callable[[Values], int]  # a count, or how a request's variables give it
Plan = tuple[tuple[Factor, ...], ...]  # per list, the factors of its size and of the lists around it


class QueryTooLarge(DomainError):
    status = 400
    code = "query_too_large"
    title = "Query too large"


@dataclass
class AnswerSizes:
    """Each document's plan, kept by its text: the sizes are counted once per document and
    multiplied out with each request's variables."""

    max_objects: int
    max_page_size: int
    kept: RecentlyUsed[tuple[str, str | None], Plan]

    def objects(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
    ) -> int:
        key = (query, operation_name)
        plan = self.kept.get(key)
        if plan is None:
            plan = self.plan(schema, document, operation_name)
            self.kept.keep(key, plan)
        return sum(math.prod(f if isinstance(f, int) else f(variables) for f in factors) for factors in plan)

    def plan(self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Plan:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return ()
        defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        root = schema.get_root_type(operation.operation)
        walk = _Walk(schema, fragments, defaults, self.max_page_size)
        return tuple(walk.lists(root, operation.selection_set, ())) if root is not None else ()


def _page_size(first: int, cap: int) -> int:
    """A `first` out of range is refused by its resolver, with its own message; here it counts
    as the nearest size a page can have."""
    return min(max(first, 1), cap)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    defaults: Values  # the document's variable defaults
    max_page_size: int

    def lists(
        self,
        parent: GraphQLNamedType,
        selections: SelectionSetNode,
        outer: tuple[Factor, ...],
        holder: FieldNode | None = None,
    ) -> Iterator[tuple[Factor, ...]]:
        """The lists under `selections`, of `parent`'s fields, as `holder` selects them."""
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield from self._field(parent, selection, outer, holder)
                continue
            fragment = self.fragments[selection.name.value] if isinstance(selection, FragmentSpreadNode) else selection
            assert isinstance(fragment, FragmentDefinitionNode | InlineFragmentNode)
            condition, body = fragment.type_condition, fragment.selection_set
            inner = self.schema.get_type(condition.name.value) if condition is not None else parent
            if inner is not None:
                yield from self.lists(inner, body, outer, holder)

    def _field(
        self, parent: GraphQLNamedType, node: FieldNode, outer: tuple[Factor, ...], holder: FieldNode | None
    ) -> Iterator[tuple[Factor, ...]]:
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None or node.selection_set is None:
            return  # a leaf, or __typename
        size = self._size(parent, field, node, holder)
        inner = outer if size is None else (*outer, size)
        if size is not None:
            yield inner
        yield from self.lists(get_named_type(field.type), node.selection_set, inner, node)

    def _size(
        self, parent: GraphQLNamedType, field: GraphQLField, node: FieldNode, holder: FieldNode | None
    ) -> Factor | None:
        """How many objects the field may hold, or None for one object."""
        if "first" in field.args:
            return self._first(node)
        if not isinstance(get_nullable_type(field.type), GraphQLList):
            return None
        if isinstance(parent, GraphQLObjectType) and "pageInfo" in parent.fields:
            return None  # a page's `edges` and `nodes`: counted as its `first`
        name = f"{parent.name}.{node.name.value}"
        if name == PANEL_LIST and holder is not None:
            return self._panel_groups(holder)
        return None if name in PARTS else LIST_SIZES.get(name, DEFAULT_PAGE_SIZE)

    def _argument(self, node: FieldNode, name: str) -> Callable[[Values], Any]:
        """The argument's value in a request, given its variables; None when absent or unset."""
        written = next((argument.value for argument in node.arguments or () if argument.name.value == name), None)
        if written is None:
            return lambda variables: None

        def value(variables: Values) -> Any:
            found = value_from_ast_untyped(written, {**self.defaults, **variables})
            return None if found is Undefined else found

        return value

    def _first(self, node: FieldNode) -> Factor:
        first, cap = self._argument(node, "first"), self.max_page_size
        return _settled(node, lambda variables: _page_size(_int_or(first(variables), DEFAULT_PAGE_SIZE), cap))

    def _panel_groups(self, panel: FieldNode) -> Factor:
        """A panel's groups, by the arguments of the field that makes it (`panels`, `panelSeries`)."""
        grouping, uf = self._argument(panel, "groupBy"), self._argument(panel, "uf")
        first, last = self._argument(panel, "fromYear"), self._argument(panel, "toYear")

        def groups(variables: Values) -> int:
            keys = PANEL_GROUPS.get(grouping(variables) or "uf", max(PANEL_GROUPS.values()))
            years = _int_or(last(variables), 0) - _int_or(first(variables), 0) + 1
            within_uf = -(-keys // STATES) if uf(variables) else keys
            return within_uf * min(max(years, 1), MAX_SERIES_YEARS)

        return _settled(panel, groups)


def _settled(node: FieldNode, factor: Callable[[Values], int]) -> Factor:
    """The count itself when no argument of the field is a variable: most documents' pages."""
    written = [argument.value for argument in node.arguments or ()]
    return factor if any(isinstance(value, VariableNode) for value in written) else factor({})


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class AnswerSizeLimit(SchemaExtension):
    def __init__(self, sizes: AnswerSizes) -> None:
        self.sizes = sizes  # one per schema, shared by every request's extension

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if document is not None and query is not None:
            schema = context.schema._schema  # graphql-core's, as Strawberry's own extensions reach it
            objects = self.sizes.objects(schema, document, query, context.operation_name, context.variables or {})
            if objects > self.sizes.max_objects:
                error = QueryTooLarge(
                    f"this query may answer with up to {objects:,} objects; one request answers with at most "
                    f"{self.sizes.max_objects:,}: ask for smaller pages (`first`) and follow `after`",
                    objects=objects,
                    limit=self.sizes.max_objects,
                )
                context.result = ExecutionResult(data=None, errors=[GraphQLError(error.detail, original_error=error)])
        yield
