"""The Upload scalar: a file part of a GraphQL multipart request."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from media.uploads import UploadedFile


class Upload(graphene.Scalar):
    """A file part of a GraphQL multipart request (the multipart request spec)."""

    @staticmethod
    def serialize(value: Any) -> Any:
        raise GraphQLError("Upload is an input-only scalar.")

    @staticmethod
    def parse_literal(node: Any, _variables: Any = None) -> Any:
        raise GraphQLError("Send files as parts of a multipart request, not in the query text.")

    @staticmethod
    def parse_value(value: Any) -> UploadedFile:
        if not isinstance(value, UploadedFile):
            raise GraphQLError("Expected a file part of a multipart request.")
        return value
