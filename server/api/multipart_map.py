"""The `map` part of a multipart request: which file goes where in `operations`."""

from __future__ import annotations

from typing import Any

from media.uploads import UploadedFile
from server.api.http_errors import MultipartError
from server.settings import Settings


def check_map(value: Any, settings: Settings) -> dict[str, list[str]]:
    """A `map` must be an object of part name -> non-empty list of path strings."""
    if not isinstance(value, dict):
        raise MultipartError("`map` must be a JSON object of file part name -> list of paths.")
    for name, paths in value.items():
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(path, str) for path in paths)
        ):
            raise MultipartError(f"`map` entry {name!r} must be a non-empty list of path strings.")
    if len(value) > settings.max_upload_files:
        raise MultipartError(
            f"At most {settings.max_upload_files} files may be sent in one request.", 413, "LIMIT"
        )
    return value


def place(operations: dict[str, Any], path: str, upload: UploadedFile) -> None:
    """Put `upload` at a dotted `variables...` path whose value is null in `operations`."""
    keys = path.split(".")
    if keys[0] != "variables" or len(keys) < 2:
        raise MultipartError(f"The `map` path {path!r} must point into `variables`.")
    container: Any = operations
    for key in keys[:-1]:
        container = _step(container, key, path)
    last = keys[-1]
    if isinstance(container, dict) and last in container and container[last] is None:
        container[last] = upload
    elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
        if container[int(last)] is not None:
            raise MultipartError(f"The `map` path {path!r} does not point to a null.")
        container[int(last)] = upload
    else:
        raise MultipartError(f"The `map` path {path!r} does not exist in `operations`.")


def _step(container: Any, key: str, path: str) -> Any:
    """The value at `key` of a dict or list on the way along `path`."""
    if isinstance(container, dict) and isinstance(container.get(key), dict | list):
        return container[key]
    if isinstance(container, list) and key.isdigit() and int(key) < len(container):
        return container[int(key)]
    raise MultipartError(f"The `map` path {path!r} does not exist in `operations`.")
