"""Parsed documents kept by their text: clients send the same few again and again, and parsing
a large one costs a millisecond. Only documents that parsed are kept, so a syntax error (or a
document over the token limit) is refused as usual every time, with its `invalid_query` code.
Strawberry's ParserCache keeps its parse errors too, where they escape that code."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, OperationType, get_operation_ast
from strawberry.extensions import SchemaExtension

from app.core.recent import RecentlyUsed


class ParsedDocuments(RecentlyUsed[str, DocumentNode]):
    """The documents that parsed, by their text."""

    def only_reads(self, query: str, operation_name: str | None) -> bool:
        """Whether the operation to run is known to be a query: its document has parsed before.
        A document seen for the first time counts as one that may write."""
        document = self.peek(query)
        operation = get_operation_ast(document, operation_name) if document is not None else None
        return operation is not None and operation.operation == OperationType.QUERY


class DocumentCache(SchemaExtension):
    def __init__(self, documents: ParsedDocuments) -> None:
        self.documents = documents  # one per schema, shared by every request's extension

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        found = self.documents.get(query) if query else None
        if found is not None:
            context.graphql_document = found  # Strawberry parses only when no document is set
        yield
        if found is None and query and context.graphql_document is not None:
            self.documents.keep(query, context.graphql_document)
