"""The scale seed's bulk writer: one COPY per table on PostgreSQL, one `executemany` on SQLite."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from server.demo.scale.tables import Table

# Tables this big are loaded without their secondary indexes, which are built afterwards.
BULK_ROWS = 50_000

_SECONDARY_INDEXES = """
SELECT pg_get_indexdef(x.indexrelid) AS definition, i.relname AS name
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = $1::regclass AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""
_UNIQUE_CONSTRAINTS = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u'
"""


async def _copy_without_indexes(connection: Any, table: Table) -> None:
    """COPY into a big table with its secondary indexes dropped, then build them in bulk."""
    quoted = f'"{table.name}"'
    indexes = await connection.fetch(_SECONDARY_INDEXES, quoted)
    uniques = await connection.fetch(_UNIQUE_CONSTRAINTS, quoted)
    for index in indexes:
        await connection.execute(f'DROP INDEX "{index["name"]}"')
    for unique in uniques:
        await connection.execute(f'ALTER TABLE {quoted} DROP CONSTRAINT "{unique["name"]}"')
    await connection.copy_records_to_table(
        table.name, records=table.rows, columns=list(table.columns)
    )
    for index in indexes:
        await connection.execute(index["definition"])
    for unique in uniques:
        await connection.execute(
            f'ALTER TABLE {quoted} ADD CONSTRAINT "{unique["name"]}" {unique["definition"]}'
        )


async def write_postgres(client: Any, tables: Sequence[Table]) -> None:
    """Load the tables with COPY, foreign key triggers off when allowed, then ANALYZE."""
    async with client.acquire_connection() as connection:
        await connection.execute("SET maintenance_work_mem = '256MB'")
        # The generated rows reference only rows generated before them: skip the foreign key
        # triggers, row by row the slowest part of the load (only a superuser may).
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET session_replication_role = replica")
        try:
            await _copy_all(connection, tables)
        finally:
            await connection.execute("RESET session_replication_role")
            await connection.execute("RESET maintenance_work_mem")
        await connection.execute("ANALYZE")


async def _copy_all(connection: Any, tables: Sequence[Table]) -> None:
    """COPY every table and move the id sequences past the ids written, in one transaction."""
    async with connection.transaction():
        for table in tables:
            if len(table.rows) >= BULK_ROWS:
                await _copy_without_indexes(connection, table)
            elif table.rows:
                await connection.copy_records_to_table(
                    table.name, records=table.rows, columns=list(table.columns)
                )
        for table in tables:
            if "id" in table.columns:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table.name}"))'
                )


async def write_sqlite(client: Any, tables: Sequence[Table]) -> None:
    """Load the tables with one `executemany` each, in one transaction, then ANALYZE."""
    async with client.acquire_connection() as connection:
        await connection.execute("BEGIN")
        try:
            for table in tables:
                if not table.rows:
                    continue
                columns = ", ".join(f'"{c}"' for c in table.columns)
                marks = ", ".join("?" for _ in table.columns)
                await connection.executemany(
                    f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                    [_sqlite_row(row) for row in table.rows],
                )
        except Exception:
            await connection.rollback()
            raise
        await connection.commit()
        await connection.execute("ANALYZE")


def _sqlite_row(row: Iterable[Any]) -> tuple[Any, ...]:
    """The row with its decimals as text, which SQLite keeps exactly."""
    return tuple(str(v) if isinstance(v, Decimal) else v for v in row)
