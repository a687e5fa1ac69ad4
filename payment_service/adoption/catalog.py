"""What PostgreSQL's catalog says about one schema: its tables, their columns, constraints and
indexes. The adoption reads it to recognise the original's tables (and to find the indexes and
constraints it replaces); the tests read it to compare an adopted schema with a fresh one."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Column:
    type: str
    """As `format_type` prints it: `uuid`, `character varying(255)`, `numeric(20,4)`…"""
    nullable: bool
    default: str | None = None
    """The server-side default expression, if any."""


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str
    """`p` primary key, `u` unique, `f` foreign key, `c` check, `x` exclusion."""
    definition: str
    """`pg_get_constraintdef`, e.g. `FOREIGN KEY (a) REFERENCES t(id) ON DELETE CASCADE`."""


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)
    """Indexes that back no constraint, by name: their `pg_get_indexdef` without the schema."""
    comment: str | None = None


@dataclass(frozen=True)
class Reference:
    """A foreign key of another schema's or table's that points at a table of ours."""

    table: str
    name: str


def schema_exists(connection: Connection, schema: str) -> bool:
    query = text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
    return connection.execute(query, {"schema": schema}).first() is not None


def describe(connection: Connection, schema: str) -> dict[str, Table]:
    """Every ordinary table of `schema` by name."""
    tables: dict[str, Table] = {}
    rows = connection.execute(
        text(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p')"
        ),
        {"schema": schema},
    )
    for name, comment in rows:
        tables[name] = Table(comment=comment)
    for table, column, kind, not_null, default in connection.execute(
        text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ),
        {"schema": schema},
    ):
        default = None if default is None else _unqualified(default, schema)
        tables[table].columns[column] = Column(kind, not not_null, default)
    for table, name, kind, definition in connection.execute(
        text(
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema"
        ),
        {"schema": schema},
    ):
        tables[table].constraints[name] = Constraint(name, kind, _unqualified(definition, schema))
    for table, name, definition in connection.execute(
        text(
            "SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid "
            "AND k.conrelid = x.indrelid)"
        ),
        {"schema": schema},
    ):
        tables[table].indexes[name] = _unqualified(definition, schema)
    return tables


def references_from_elsewhere(
    connection: Connection, schema: str, tables: set[str]
) -> list[Reference]:
    """Foreign keys of other tables (in any schema) that point at `tables` of `schema`."""
    rows = connection.execute(
        text(
            "SELECT src_n.nspname || '.' || src.relname, k.conname FROM pg_constraint k "
            "JOIN pg_class dst ON dst.oid = k.confrelid "
            "JOIN pg_namespace dst_n ON dst_n.oid = dst.relnamespace "
            "JOIN pg_class src ON src.oid = k.conrelid "
            "JOIN pg_namespace src_n ON src_n.oid = src.relnamespace "
            "WHERE k.contype = 'f' AND dst_n.nspname = :schema AND dst.relname = ANY(:tables) "
            "AND NOT (src_n.nspname = :schema AND src.relname = ANY(:tables))"
        ),
        {"schema": schema, "tables": sorted(tables)},
    )
    return [Reference(table, name) for table, name in rows]


def _unqualified(definition: str, schema: str) -> str:
    # Definitions name tables with their schema when it is not on the search_path: drop it, so
    # that two databases with the same tables in differently named schemas compare equal.
    return definition.replace(f"{quote(schema)}.", "").replace(f"{schema}.", "")


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'
