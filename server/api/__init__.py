"""The HTTP service: the Starlette app, the GraphQL endpoint, uploads, exports, photo files."""
