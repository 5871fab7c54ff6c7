#!/usr/bin/env node
// A stand-in for Prisma's native `schema-engine` binary, for machines that cannot download it.
// It runs Prisma's schema engine compiled to Wasm (@prisma/schema-engine-wasm) over the Prisma
// driver adapters (better-sqlite3, pg) and speaks the binary's protocol to the Prisma CLI:
//
//   schema-engine --version                         -> "schema-engine-cli <hash>"
//   schema-engine --datasource '{"url":…}' cli can-connect-to-database | create-database
//       exit 0 on success; on error exit 1 with a JSON error line on stderr (after a first line).
//   schema-engine --datamodels <schema> … --datasource '{"url":…}'
//       long-running newline-delimited JSON-RPC 2.0 on stdin/stdout; `diff` output goes back to
//       the CLI as a `print` request, as the native engine does.
//
// Defects of the Wasm path handled here (each one observed when running the Prisma CLI against
// @prisma/schema-engine-wasm with the driver adapters; the native engine does not have them):
//   1. fresh database: `_prisma_migrations` is created with the native DDL before the engine
//      needs it (applyMigrations, markMigration*); read-only probes get an empty answer.
//   2. multi-statement scripts sent as one prepared statement are run with executeScript.
//   3. PostgreSQL "char" (OID 18) columns are read as text.
//   4. the PostgreSQL shadow database is created here, under a unique name, connected to with
//      separate host/port/user/database fields (given a connection string, adapter-pg's
//      connectToShadowDb() connects to the MAIN database), and checked (by name and by
//      current_database()) to differ from the main database before any use. A configured
//      shadowDatabaseUrl is refused.
//   5. shadow databases are dropped after their pool is closed; leftovers are dropped on exit.
//   6. SQLite reset drops tables, views and triggers (the Wasm engine only deletes rows).
//   7. SQLite partial indexes: the engine reads an index's definition with its name in double
//      quotes (`... AND name = "events_stale_idx"`), a string literal better-sqlite3 refuses (it is
//      built without double-quoted strings): the name is passed as a parameter instead.
//
// SQLite: `file:` URLs that are relative resolve against the working directory; the parent
// folder is created when missing; `_prisma_migrations` timestamps are unix milliseconds, like
// the native engine. Set SCHEMA_ENGINE_WASM_LOG=<file> to log RPC traffic and SQL there.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const logFile = process.env.SCHEMA_ENGINE_WASM_LOG;
function debug(...parts) {
  if (!logFile) return;
  const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  fs.appendFileSync(logFile, `${new Date().toISOString()} [${process.pid}] ${text}\n`);
}

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const out = { datamodels: [], datasource: null, cli: null, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-V') out.version = true;
    else if (a === '--datamodels' || a === '-d') out.datamodels.push(argv[++i]);
    else if (a === '--datasource') out.datasource = JSON.parse(argv[++i]);
    else if (a === '--enabled-preview-features' || a === '--extension-types') i++;
    else if (a === 'cli') out.cli = argv[++i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Errors in the shapes the CLI understands

class EngineError extends Error {
  constructor(message, errorCode) {
    super(message);
    this.errorCode = errorCode;
  }
}

/** Turns whatever the Wasm engine or an adapter threw into { message, errorCode, meta }. */
function describeError(e) {
  if (e instanceof EngineError) return { message: e.message, errorCode: e.errorCode };
  let value = e;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { message: value };
    }
  }
  if (value && typeof value === 'object') {
    const message =
      value.message ?? value.error?.message ?? (value instanceof Error ? String(value) : JSON.stringify(value));
    const errorCode = value.error_code ?? value.errorCode ?? value.code;
    return {
      message: String(message),
      errorCode: typeof errorCode === 'string' && /^P\d{4}$/.test(errorCode) ? errorCode : undefined,
      meta: value.meta,
    };
  }
  return { message: String(value) };
}

// ---------------------------------------------------------------------------------------------
// URLs

function isPostgres(url) {
  return /^postgres(ql)?:\/\//i.test(url);
}

function sqlitePath(url) {
  if (!/^file:/i.test(url)) throw new EngineError(`Unsupported database URL scheme (expected file: or postgresql://)`, 'P1013');
  let p = url.slice('file:'.length);
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (p.startsWith('//')) p = p.slice(2); // file://localhost/... is not used; file:///abs -> /abs
  if (!p) throw new EngineError('The SQLite URL has no path', 'P1013');
  return path.resolve(process.cwd(), p);
}

function pgFields(url) {
  const { parse } = createRequire(require.resolve('pg'))('pg-connection-string');
  const c = parse(url);
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  const fields = {
    host: c.host ?? undefined,
    port: c.port ? Number(c.port) : undefined,
    user: c.user ?? undefined,
    password: c.password ?? undefined,
    database: c.database ?? undefined,
    ssl: c.ssl ?? undefined,
    options: c.options ?? undefined,
    application_name: c.application_name ?? 'prisma-schema-engine-wasm',
  };
  for (const k of Object.keys(fields)) if (fields[k] === undefined) delete fields[k];
  if (!fields.database) throw new EngineError('The PostgreSQL URL names no database', 'P1013');
  return { fields, schema };
}

// ---------------------------------------------------------------------------------------------
// SQL helpers

/** Number of SQL statements in a script (quotes, dollar quotes and comments aware). */
function countStatements(sql) {
  let count = 0;
  let pending = false;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      i = j;
      pending = true;
    } else if (ch === '$') {
      const m = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? sql.length : end + m[0].length - 1;
      }
      pending = true;
    } else if (ch === ';') {
      if (pending) count++;
      pending = false;
    } else if (!/\s/.test(ch)) pending = true;
  }
  return count + (pending ? 1 : 0);
}

const quoteIdent = (name) => `"${String(name).replaceAll('"', '""')}"`;

// The native engine's DDL for the migrations table.
const MIGRATIONS_TABLE_DDL = {
  sqlite: `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  postgres: (schema) => `CREATE TABLE ${quoteIdent(schema)}."_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
};

// ---------------------------------------------------------------------------------------------
// Adapters

const emptyResult = (columnNames = []) => ({ columnNames, columnTypes: columnNames.map(() => 7), rows: [] });

/**
 * Wraps a driver adapter (or transaction) so that multi-statement SQL without parameters goes
 * through executeScript (defect 2), and queries of a missing `_prisma_migrations` table read as
 * empty (defect 1) where the caller asked for that.
 */
function wrapQueryable(target, label, state) {
  const asScript = (q) => (!q.args || q.args.length === 0) && countStatements(q.sql) > 1;
  const missingMigrationsTable = (q, e) =>
    state.migrationsTableMissing && /_prisma_migrations/.test(q.sql) && /no such table|does not exist/i.test(errText(e));
  const orig = {
    queryRaw: target.queryRaw.bind(target),
    executeRaw: target.executeRaw.bind(target),
  };
  target.queryRaw = async (q) => {
    debug(label, 'queryRaw', q.sql, q.args?.length ? q.args : '');
    q = indexSqlByParameter(q);
    if (asScript(q)) {
      await target.executeScript(q.sql);
      return emptyResult();
    }
    try {
      return await orig.queryRaw(q);
    } catch (e) {
      if (missingMigrationsTable(q, e)) {
        debug(label, 'answering _prisma_migrations probe as empty');
        return emptyResult(migrationsColumns(q.sql));
      }
      throw e;
    }
  };
  target.executeRaw = async (q) => {
    debug(label, 'executeRaw', q.sql, q.args?.length ? q.args : '');
    if (asScript(q)) {
      await target.executeScript(q.sql);
      return 0;
    }
    return orig.executeRaw(q);
  };
  if (target.startTransaction) {
    const start = target.startTransaction.bind(target);
    target.startTransaction = async (...a) => {
      const tx = await start(...a);
      if (!tx.executeScript) tx.executeScript = target.executeScript.bind(target);
      return wrapQueryable(tx, `${label}/tx`, state);
    };
  }
  return target;
}

/** Defect 7: the double-quoted index name of the engine's partial-index query, as a parameter. */
function indexSqlByParameter(q) {
  const m = /^(\s*SELECT sql FROM sqlite_master WHERE type = 'index' AND name = )"((?:[^"]|"")*)"(\s*;?\s*)$/i.exec(q.sql);
  if (!m || q.args?.length) return q;
  return { ...q, sql: `${m[1]}?${m[3]}`, args: [m[2].replaceAll('""', '"')], argTypes: [{ scalarType: 'string', arity: 'scalar' }] };
}

function errText(e) {
  if (!e) return '';
  const cause = e.cause ?? {};
  return [e.message, cause.message, cause.originalMessage, JSON.stringify(cause)].filter(Boolean).join(' ');
}

function migrationsColumns(sql) {
  const m = /select\s+([\s\S]*?)\s+from/i.exec(sql);
  if (!m) return [];
  return m[1].split(',').map((c) => c.trim().replace(/^.*\./, '').replaceAll('"', '').replaceAll('`', ''));
}

/** Remembers open adapters so that shutdown can close them (SQLite then removes its journal). */
function tracked(live, adapter) {
  live.add(adapter);
  const dispose = adapter.dispose.bind(adapter);
  let done = null;
  adapter.dispose = () => {
    live.delete(adapter);
    done ??= dispose();
    return done;
  };
  return adapter;
}

async function closeAll(live) {
  for (const adapter of [...live]) await adapter.dispose().catch((e) => debug('dispose failed', e?.message));
}

async function sqliteFactory(url) {
  const file = sqlitePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
  const inner = new PrismaBetterSqlite3({ url: file }, { timestampFormat: 'unixepoch-ms' });
  const state = { migrationsTableMissing: false };
  const live = new Set();
  const factory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => wrapQueryable(tracked(live, await inner.connect()), 'main', state),
    connectToShadowDb: async () =>
      wrapQueryable(tracked(live, await inner.connectToShadowDb()), 'shadow', { migrationsTableMissing: false }),
  };
  const Database = (await import('better-sqlite3')).default;
  const withDb = (fn) => {
    const db = new Database(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    provider: 'sqlite',
    factory,
    state,
    async ensureMigrationsTable() {
      withDb((db) => {
        const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get();
        if (!exists) {
          debug('creating _prisma_migrations (sqlite)');
          db.exec(MIGRATIONS_TABLE_DDL.sqlite);
        }
      });
    },
    async hasMigrationsTable() {
      return withDb(
        (db) => !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get(),
      );
    },
    async reset() {
      withDb((db) => {
        db.pragma('foreign_keys = OFF');
        const objects = db
          .prepare(`SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger', 'table') AND name NOT LIKE 'sqlite_%'`)
          .all();
        const order = { trigger: 0, view: 1, table: 2 };
        objects.sort((a, b) => order[a.type] - order[b.type]);
        db.transaction(() => {
          for (const o of objects) db.exec(`DROP ${o.type.toUpperCase()} IF EXISTS ${quoteIdent(o.name)}`);
        })();
        db.pragma('foreign_keys = ON');
        db.exec('VACUUM');
      });
    },
    async canConnect() {
      if (!fs.existsSync(file)) {
        throw new EngineError(
          `Database \`${path.basename(file)}\` does not exist at \`${file}\``,
          'P1003',
        );
      }
      withDb((db) => db.prepare('SELECT 1').get());
    },
    async createDatabase() {
      if (fs.existsSync(file)) throw new EngineError(`Database \`${path.basename(file)}\` already exists at \`${file}\``, 'P1009');
      withDb(() => {});
      return path.basename(file);
    },
    async close() {
      await closeAll(live);
    },
  };
}

async function postgresFactory(url, shadowDatabaseUrl) {
  if (shadowDatabaseUrl) {
    throw new EngineError(
      'shadowDatabaseUrl is not supported by the offline schema engine: it creates and drops its own uniquely named shadow database.',
    );
  }
  const pg = (await import('pg')).default;
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { fields, schema } = pgFields(url);
  const mainDb = fields.database;

  // Defect 3: adapter-pg cannot read PostgreSQL "char" (OID 18) columns; read them as text (25).
  const fixFields = (res) => {
    for (const r of Array.isArray(res) ? res : [res]) for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
    return res;
  };
  class CharAsTextClient extends pg.Client {
    query(config, values, callback) {
      if (typeof values === 'function') return super.query(config, (e, r) => values(e, e ? r : fixFields(r)));
      if (typeof callback === 'function') return super.query(config, values, (e, r) => callback(e, e ? r : fixFields(r)));
      if (config && typeof config.submit === 'function') return super.query(config, values, callback);
      const p = super.query(config, values);
      return p && typeof p.then === 'function' ? p.then(fixFields) : p;
    }
  }
  const poolConfig = (database) => ({ ...fields, database, Client: CharAsTextClient, max: 4 });

  // A full-script executor on the simple query protocol (handles several statements, $$ bodies).
  const withScripts = (adapter, pool) => {
    adapter.executeScript = async (script) => {
      debug('executeScript', script);
      try {
        await pool.query(script);
      } catch (e) {
        adapter.onError(e);
      }
    };
    return adapter;
  };

  const openAdmin = async () => {
    // The main database may not exist yet (e.g. a diff only needs the shadow database).
    for (const database of [mainDb, 'postgres', 'template1']) {
      const client = new pg.Client({ ...fields, database });
      try {
        await client.connect();
        return client;
      } catch (e) {
        await client.end().catch(() => {});
        if (e.code !== '3D000' || database === 'template1') throw e;
      }
    }
  };

  const liveShadows = new Set();
  const live = new Set();
  const dropShadow = async (name) => {
    const admin = await openAdmin();
    try {
      const { rows } = await admin.query(`SELECT current_setting('server_version_num')::int AS v`);
      const force = rows[0].v >= 130000 ? ' WITH (FORCE)' : '';
      if (name === mainDb) throw new Error('refusing to drop the main database');
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`);
      liveShadows.delete(name);
      debug('dropped shadow database', name);
    } finally {
      await admin.end().catch(() => {});
    }
  };

  const state = { migrationsTableMissing: false };
  const mainPg = new PrismaPg(poolConfig(mainDb), { schema });
  const factory = {
    provider: 'postgres',
    adapterName: mainPg.adapterName,
    async connect() {
      const pool = new pg.Pool(poolConfig(mainDb));
      const adapter = new PrismaPg(pool, { schema, disposeExternalPool: true });
      const conn = await adapter.connect();
      return wrapQueryable(withScripts(tracked(live, conn), pool), 'main', state);
    },
    async connectToShadowDb() {
      // Defect 4: never derive the shadow connection from the main URL; create a uniquely named
      // database and connect with explicit fields, then verify where we actually are.
      const name = `prisma_shadow_${Date.now().toString(36)}_${crypto.randomBytes(6).toString('hex')}`;
      if (name === mainDb || name.toLowerCase() === mainDb.toLowerCase()) {
        throw new EngineError(`Refusing to use the main database "${mainDb}" as the shadow database.`);
      }
      const admin = await openAdmin();
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
      } finally {
        await admin.end().catch(() => {});
      }
      liveShadows.add(name);
      debug('created shadow database', name);
      const pool = new pg.Pool(poolConfig(name));
      try {
        const { rows } = await pool.query('SELECT current_database() AS db');
        if (rows[0].db !== name || rows[0].db === mainDb) {
          throw new EngineError(`Shadow database check failed: connected to "${rows[0].db}", expected "${name}".`);
        }
      } catch (e) {
        await pool.end().catch(() => {});
        await dropShadow(name).catch(() => {});
        throw e;
      }
      // Defect 5: close the pool first, then drop the database.
      const adapter = new PrismaPg(pool, { schema, disposeExternalPool: true });
      const conn = await adapter.connect();
      const dispose = conn.dispose.bind(conn);
      conn.dispose = async () => {
        await dispose().catch(() => {});
        await dropShadow(name);
      };
      return wrapQueryable(withScripts(tracked(live, conn), pool), 'shadow', { migrationsTableMissing: false });
    },
  };

  const schemaName = schema ?? 'public';
  const withMain = async (fn) => {
    const client = new pg.Client({ ...fields, database: mainDb });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  const hasMigrationsTable = () =>
    withMain(async (c) => {
      const { rows } = await c.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${quoteIdent(schemaName)}."_prisma_migrations"`]);
      return rows[0].present;
    });
  return {
    provider: 'postgres',
    factory,
    state,
    hasMigrationsTable,
    async ensureMigrationsTable() {
      await withMain(async (c) => {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemaName)}`);
        const { rows } = await c.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${quoteIdent(schemaName)}."_prisma_migrations"`]);
        if (!rows[0].present) {
          debug('creating _prisma_migrations (postgres)');
          await c.query(MIGRATIONS_TABLE_DDL.postgres(schemaName));
        }
      });
    },
    reset: null, // the Wasm engine's PostgreSQL reset drops the schema, like the native one
    async canConnect() {
      try {
        await withMain(async (c) => c.query('SELECT 1'));
      } catch (e) {
        if (e.code === '3D000') throw new EngineError(`Database \`${mainDb}\` does not exist`, 'P1003');
        if (e.code === '28P01' || e.code === '28000') throw new EngineError(`Authentication failed against the database server`, 'P1000');
        if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') {
          throw new EngineError(`Can't reach database server at \`${fields.host}:${fields.port ?? 5432}\``, 'P1001');
        }
        throw e;
      }
    },
    async createDatabase() {
      const admin = new pg.Client({ ...fields, database: 'postgres' });
      try {
        await admin.connect();
      } catch {
        await admin.end().catch(() => {});
        throw new EngineError(`Can't reach the postgres maintenance database at \`${fields.host}:${fields.port ?? 5432}\``, 'P1001');
      }
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(mainDb)}`);
      } catch (e) {
        if (e.code === '42P04') throw new EngineError(`Database \`${mainDb}\` already exists`, 'P1009');
        throw e;
      } finally {
        await admin.end().catch(() => {});
      }
      return mainDb;
    },
    async close() {
      await closeAll(live);
      for (const name of [...liveShadows]) await dropShadow(name).catch((e) => debug('drop failed', name, e.message));
    },
  };
}

async function openDatasource(datasource) {
  const url = datasource?.url;
  if (!url) throw new EngineError('No datasource URL was given to the schema engine (set it in prisma.config.ts).', 'P1012');
  return isPostgres(url) ? postgresFactory(url, datasource.shadowDatabaseUrl) : sqliteFactory(url);
}

// ---------------------------------------------------------------------------------------------
// The Wasm engine

// Rust panics inside the Wasm module report their message here before trapping.
const panicRegistry = {
  message: '',
  get() {
    return this.message;
  },
  set_message(m) {
    this.message = `RuntimeError: ${m}`;
  },
};
globalThis.PRISMA_WASM_PANIC_REGISTRY = panicRegistry;

async function loadWasm() {
  const dir = path.dirname(require.resolve('@prisma/schema-engine-wasm'));
  const bg = await import(new URL(`file://${path.join(dir, 'schema_engine_bg.js')}`).href);
  const module = new WebAssembly.Module(fs.readFileSync(path.join(dir, 'schema_engine_bg.wasm')));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

function engineHash() {
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'package.json'), 'utf8')).version;
  return version.split('.').pop();
}

// ---------------------------------------------------------------------------------------------
// One-shot CLI mode

async function runCli(args) {
  const write = (line) => process.stderr.write(`${line}\n`);
  write(JSON.stringify({ level: 'INFO', target: 'schema_engine', fields: { message: `wasm schema engine ${args.cli}` } }));
  let ds;
  try {
    ds = await openDatasource(args.datasource);
    if (args.cli === 'can-connect-to-database') await ds.canConnect();
    else if (args.cli === 'create-database') {
      const name = await ds.createDatabase();
      process.stdout.write(`Database '${name}' was successfully created.\n`);
    } else if (args.cli === 'drop-database') {
      throw new EngineError('drop-database is not supported by the offline schema engine');
    } else throw new EngineError(`Unknown cli command: ${args.cli}`);
    await ds.close();
    return 0;
  } catch (e) {
    const { message, errorCode } = describeError(e);
    write(JSON.stringify({ level: 'ERROR', target: 'schema_engine::logger', fields: { error_code: errorCode ?? 'P1000', message } }));
    await ds?.close().catch(() => {});
    return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC mode

async function runRpc(args) {
  const bg = await loadWasm();
  const datamodels = args.datamodels.map((p) => [p, fs.readFileSync(p, 'utf8')]);
  const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  const logCallback = (line) => {
    debug('engine log', line);
    if (typeof line === 'string' && line.startsWith('{')) process.stderr.write(`${line}\n`);
  };

  let ds = null;
  let engine = null;
  const getEngine = async () => {
    if (engine) return engine;
    ds = await openDatasource(args.datasource);
    const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');
    engine = await bg.SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, logCallback, bindMigrationAwareSqlAdapterFactory(ds.factory));
    return engine;
  };

  // Requests we send to the CLI (print), by id.
  let nextId = 1_000_000;
  const pending = new Map();
  const request = (method, params) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      out({ jsonrpc: '2.0', id, method, params });
    });

  // Methods that write into `_prisma_migrations`: make sure it exists first (defect 1).
  const writesMigrations = new Set(['applyMigrations', 'markMigrationApplied', 'markMigrationRolledBack']);
  // Methods that only read it: a missing table reads as empty.
  const readsMigrations = new Set(['diagnoseMigrationHistory', 'devDiagnostic', 'evaluateDataLoss', 'createMigration']);

  const handlers = {
    async getDatabaseVersion(params) {
      return (await getEngine()).version(params ?? undefined);
    },
    async version(params) {
      return (await getEngine()).version(params ?? undefined);
    },
    async createDatabase() {
      ds ??= await openDatasource(args.datasource);
      return { databaseName: await ds.createDatabase() };
    },
    async diff(params) {
      const result = await (await getEngine()).diff(params);
      if (result?.stdout != null) await request('print', { content: result.stdout });
      return { ...result, stdout: null };
    },
    async reset(params) {
      const e = await getEngine();
      if (ds.reset) {
        await ds.reset();
        return null;
      }
      await e.reset(params);
      return null;
    },
  };

  const call = async (method, params) => {
    if (handlers[method]) return handlers[method](params);
    const e = await getEngine();
    if (typeof e[method] !== 'function') throw new EngineError(`Unknown method: ${method}`);
    if (writesMigrations.has(method)) await ds.ensureMigrationsTable();
    if (readsMigrations.has(method)) ds.state.migrationsTableMissing = !(await ds.hasMigrationsTable());
    try {
      const result = await e[method](params);
      return result === undefined ? null : result;
    } finally {
      ds.state.migrationsTableMissing = false;
    }
  };

  let chain = Promise.resolve();
  const shutdown = async (code) => {
    await chain.catch(() => {});
    try {
      await ds?.close();
    } catch (e) {
      debug('close failed', e.message);
    }
    process.exit(code);
  };
  process.on('uncaughtException', (err) => {
    // A Rust panic traps the Wasm instance: report it like the native engine would, then stop.
    const message = panicRegistry.message || String(err?.stack ?? err);
    debug('fatal', message);
    process.stderr.write(`${JSON.stringify({ level: 'ERROR', target: 'schema_engine::logger', fields: { message, is_panic: true } })}\n`);
    process.exitCode = 101;
    chain = Promise.resolve(); // the failed call will never settle
    void shutdown(101);
  });
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(130));

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      out({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (msg.method === undefined && msg.id !== undefined && pending.has(msg.id)) {
      pending.get(msg.id)(msg.result);
      pending.delete(msg.id);
      return;
    }
    debug('request', msg.method, msg.params);
    // Requests are served one at a time, in order, like the native engine.
    chain = chain.then(async () => {
      try {
        const result = await call(msg.method, msg.params);
        debug('result', msg.method, result);
        out({ jsonrpc: '2.0', id: msg.id, result });
      } catch (err) {
        const { message, errorCode, meta } = describeError(err);
        debug('error', msg.method, message, errorCode ?? '', err?.stack ?? '');
        out({
          jsonrpc: '2.0',
          id: msg.id,
          error: {
            code: 4466,
            message: 'An error happened. Check the data field for details.',
            data: { is_panic: false, message, meta: meta ?? null, error_code: errorCode ?? null },
          },
        });
      }
    });
  });
  rl.on('close', () => void shutdown(0));
}

// ---------------------------------------------------------------------------------------------

// Importable (for tests) without starting anything.
export { countStatements, openDatasource, sqlitePath };

const isMain = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname);
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  if (args.version) {
    process.stdout.write(`schema-engine-cli ${engineHash()}\n`);
  } else if (args.cli) {
    process.exitCode = await runCli(args);
  } else {
    await runRpc(args);
  }
}
