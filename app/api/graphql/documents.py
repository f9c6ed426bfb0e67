"""Parsed documents kept by their text: clients send the same few again and again, and parsing
a large one costs a millisecond. Only documents that parsed are kept, so a syntax error (or a
document over the token limit) is refused as usual every time, with its `invalid_query` code.
Strawberry's ParserCache keeps its parse errors too, where they escape that code."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension


class DocumentCache(SchemaExtension):
    def __init__(self, documents: OrderedDict[str, DocumentNode], maxsize: int) -> None:
        self.documents = documents  # one per schema, shared by every request's extension
        self.maxsize = maxsize

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        found = self.documents.get(query) if query else None
        if found is not None:
            self.documents.move_to_end(query)  # type: ignore[arg-type]
            context.graphql_document = found  # Strawberry parses only when no document is set
        yield
        if found is None and query and context.graphql_document is not None:
            self.documents[query] = context.graphql_document
            if len(self.documents) > self.maxsize:
                self.documents.popitem(last=False)
