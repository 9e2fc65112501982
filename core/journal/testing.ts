// Helpers for journal migration tests: a database at any schema version (the starting point of
// migration N is version N - 1), and a database's schema as plain data to compare against.
import Database from 'better-sqlite3';
import { z } from 'zod';
import { migrate } from './migrations/index.js';

export { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate as migrateTo, readUserVersion } from './migrations/index.js';

/**
 * Opens `file` (default: a fresh in-memory database) with foreign keys on, as the journal does,
 * and applies the migrations up to `version`. Version 0 is an empty database.
 */
export function openDatabaseAt(version: number, file = ':memory:'): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    migrate(db, version);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const TableList = z.array(z.object({ schema: z.string(), name: z.string(), type: z.string(), wr: z.number(), strict: z.number() }));
const ColumnInfo = z.array(
  z.object({ name: z.string(), type: z.string(), notnull: z.number(), dflt_value: z.string().nullable(), pk: z.number() }),
);
const ForeignKeyList = z.array(
  z.object({ table: z.string(), from: z.string(), to: z.string().nullable(), on_delete: z.string() }),
);
const IndexRows = z.array(z.object({ name: z.string(), tbl_name: z.string() }));
const IndexInfo = z.array(z.object({ name: z.string().nullable() }));

export interface ColumnDescription {
  name: string;
  type: string;
  notNull: boolean;
  defaultValue: string | null;
  /** 1-based position in the primary key, 0 when not part of it. */
  primaryKeyPosition: number;
}

export interface TableDescription {
  name: string;
  strict: boolean;
  withoutRowid: boolean;
  columns: ColumnDescription[];
  foreignKeys: { from: string; table: string; to: string | null; onDelete: string }[];
}

export interface SchemaDescription {
  tables: TableDescription[];
  indexes: { name: string; table: string; columns: (string | null)[] }[];
}

/** The user tables (with columns and foreign keys) and explicit indexes, sorted by name. */
export function describeSchema(db: Database.Database): SchemaDescription {
  const tables = TableList.parse(db.pragma('table_list'))
    .filter((table) => table.schema === 'main' && table.type === 'table' && !table.name.startsWith('sqlite_'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((table) => ({
      name: table.name,
      strict: table.strict === 1,
      withoutRowid: table.wr === 1,
      columns: ColumnInfo.parse(db.pragma(`table_info(${quoteName(table.name)})`)).map((column) => ({
        name: column.name,
        type: column.type,
        notNull: column.notnull === 1,
        defaultValue: column.dflt_value,
        primaryKeyPosition: column.pk,
      })),
      foreignKeys: ForeignKeyList.parse(db.pragma(`foreign_key_list(${quoteName(table.name)})`)).map((key) => ({
        from: key.from,
        table: key.table,
        to: key.to,
        onDelete: key.on_delete,
      })),
    }));
  const indexes = IndexRows.parse(
    db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all(),
  ).map((index) => ({
    name: index.name,
    table: index.tbl_name,
    columns: IndexInfo.parse(db.pragma(`index_info(${quoteName(index.name)})`)).map((column) => column.name),
  }));
  return { tables, indexes };
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
