"""How many objects a document may answer with, refused before it runs when that is more than
one request should build. Depth and alias limits bound a document's shape, not its answer:
`first: 200` four lists deep asks for 200⁴ goals within both.

As GitHub's API does, each list counts as many objects as it may hold (a page its `first`, any
other list its usual size in `LIST_SIZES`) times the lists it is inside, so a client can tell
the count from the document alone, whatever the data (and whatever its `@skip` and `@include`:
each selection counts as if it were made). The few values that are part of an object (its
yearly targets, a panel group's counts: `PARTS`) count with it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
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
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from app.core.errors import DomainError
from app.core.pagination import DEFAULT_PAGE_SIZE
from app.core.recent import RecentlyUsed

# The usual length of each list that is not a page (a test keeps every one named, here or in PARTS).
LIST_SIZES: Mapping[str, int] = {
    "Goal.children": 4,  # a tree branches about four ways: 5 diretrizes, 15 objetivos, 60 metas
    "Goal.statusUpdates": 20,  # three or so a year, over a plan's four
    "Instrument.goalTree": 10,  # the top nodes (diretrizes)
    "Instrument.rounds": 5,
    # By UF, the default. By municipality a national panel has 5,570: as REST's, it comes whole,
    # and no `first` multiplies it.
    "Panel.groups": 27,
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

Factor = int | tuple[str, int]  # a count, or the variable that gives it and its count when unset
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
        return sum(math.prod(self._count(factor, variables) for factor in factors) for factors in plan)

    def plan(self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Plan:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return ()
        defaults = {
            definition.variable.name.value: int(definition.default_value.value)
            for definition in operation.variable_definitions or ()
            if isinstance(definition.default_value, IntValueNode)
        }
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        root = schema.get_root_type(operation.operation)
        walk = _Walk(schema, fragments, defaults, self.max_page_size)
        return tuple(walk.lists(root, operation.selection_set, ())) if root is not None else ()

    def _count(self, factor: Factor, variables: Mapping[str, Any]) -> int:
        if isinstance(factor, int):
            return factor
        name, unset = factor
        value = variables.get(name, unset)  # set to null, `first` takes its default
        return _page_size(value if isinstance(value, int) else DEFAULT_PAGE_SIZE, self.max_page_size)


def _page_size(first: int, cap: int) -> int:
    """A `first` out of range is refused by its resolver, with its own message; here it counts
    as the nearest size a page can have."""
    return min(max(first, 1), cap)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    defaults: Mapping[str, int]
    max_page_size: int

    def lists(
        self, parent: GraphQLNamedType, selections: SelectionSetNode, outer: tuple[Factor, ...]
    ) -> Iterator[tuple[Factor, ...]]:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield from self._field(parent, selection, outer)
                continue
            fragment = self.fragments[selection.name.value] if isinstance(selection, FragmentSpreadNode) else selection
            assert isinstance(fragment, FragmentDefinitionNode | InlineFragmentNode)
            condition, body = fragment.type_condition, fragment.selection_set
            inner = self.schema.get_type(condition.name.value) if condition is not None else parent
            if inner is not None:
                yield from self.lists(inner, body, outer)

    def _field(
        self, parent: GraphQLNamedType, node: FieldNode, outer: tuple[Factor, ...]
    ) -> Iterator[tuple[Factor, ...]]:
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None or node.selection_set is None:
            return  # a leaf, or __typename
        size = self._size(parent, field, node)
        inner = outer if size is None else (*outer, size)
        if size is not None:
            yield inner
        yield from self.lists(get_named_type(field.type), node.selection_set, inner)

    def _size(self, parent: GraphQLNamedType, field: GraphQLField, node: FieldNode) -> Factor | None:
        """How many objects the field may hold, or None for one object."""
        if "first" in field.args:
            return self._first(node)
        if not isinstance(get_nullable_type(field.type), GraphQLList):
            return None
        if isinstance(parent, GraphQLObjectType) and "pageInfo" in parent.fields:
            return None  # a page's `edges` and `nodes`: counted as its `first`
        name = f"{parent.name}.{node.name.value}"
        return None if name in PARTS else LIST_SIZES.get(name, DEFAULT_PAGE_SIZE)

    def _first(self, node: FieldNode) -> Factor:
        argument = next((argument for argument in node.arguments or () if argument.name.value == "first"), None)
        value = argument.value if argument is not None else None
        if isinstance(value, IntValueNode):
            return _page_size(int(value.value), self.max_page_size)
        if isinstance(value, VariableNode):
            name = value.name.value
            return (name, _page_size(self.defaults.get(name, DEFAULT_PAGE_SIZE), self.max_page_size))
        return _page_size(DEFAULT_PAGE_SIZE, self.max_page_size)  # absent or null


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
