import type { Command } from 'commander';
import { loadConfig, readEnvironment, type Config } from '../config/index.js';
import { clientFromConfig, formatWait, Management, type XClient } from '../management/index.js';
import { DatabaseError, describeDatabaseError, migrationState, openDatabase, type Database } from '../store/index.js';
import { databaseLabel } from './startup.js';

/** What every management command gets: configuration, output, the X client, the database. */
export class CliContext {
  readonly env: Record<string, string | undefined>;
  readonly config: Config;
  readonly json: boolean;
  #db: Database | undefined;
  #dbTried = false;
  #client: XClient | undefined;

  constructor(opts: { json?: boolean }, env = readEnvironment()) {
    this.env = env;
    this.config = loadConfig(env);
    this.json = Boolean(opts.json);
  }

  /** Progress and notes go to stderr, so stdout stays clean for --json. */
  progress(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  /** --json: the value as JSON; otherwise the human text. */
  print(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  }

  client(): XClient {
    this.#client ??= clientFromConfig(this.config, {
      onWait: (w) =>
        this.progress(
          w.reason === 'rate-limit'
            ? `${w.operation}: ${w.cause}; waiting ${formatWait(w.ms)} (X_API_RATE_LIMIT_MAX_WAIT_MS bounds the wait)`
            : `${w.operation}: ${w.cause}; retrying in ${formatWait(w.ms)}`,
        ),
    });
    return this.#client;
  }

  /**
   * The database DATABASE_URL names, migrated. `required`: fail when it is not usable;
   * otherwise say so on stderr and go on without records.
   */
  async db(required: boolean): Promise<Database | undefined> {
    if (this.#dbTried) {
      if (!this.#db && required) throw new DatabaseError('the database is not usable (see above)');
      return this.#db;
    }
    this.#dbTried = true;
    let problem: string;
    let db: Database | undefined;
    try {
      db = await openDatabase(this.config.database);
      const state = await migrationState(db);
      if (state.pending.length === 0) {
        this.#db = db;
        return db;
      }
      await db.close();
      problem = `the database at DATABASE_URL (${databaseLabel(this.config.database)}) has ${state.pending.length} pending migration(s): run \`npm run db:migrate\``;
    } catch (error) {
      await db?.close().catch(() => undefined);
      // One line, e.g. "cannot reach the database server at 127.0.0.1:5432 (DATABASE_URL)"; never the password.
      problem = describeDatabaseError(error, this.config.database);
    }
    if (required) throw new DatabaseError(problem);
    this.progress(`note: ${problem}; continuing without local records`);
    return undefined;
  }

  async management(dbRequired = false): Promise<Management> {
    return new Management(this.client(), await this.db(dbRequired));
  }

  /** --webhook, else X_WEBHOOK_ID, else the app's only webhook at X. */
  async webhookId(explicit: string | undefined): Promise<string> {
    if (explicit) return explicit;
    if (this.config.x.webhookId) return this.config.x.webhookId;
    const list = await this.client().listWebhooks();
    if (list.length === 1) return list[0]!.id;
    throw new Error(
      list.length === 0
        ? 'no webhook is registered at X: create one with `xaa webhooks create <url>`'
        : `the app has ${list.length} webhooks: set X_WEBHOOK_ID or pass --webhook <id>`,
    );
  }

  async close(): Promise<void> {
    await this.#db?.close();
  }
}

/** Adds --json and wraps the action: a context per run, closed afterwards; errors go to main's handler (exit 1). */
export function jsonAction<A extends unknown[]>(cmd: Command, fn: (ctx: CliContext, ...args: A) => Promise<number | void>): Command {
  return cmd.option('--json', 'machine-readable JSON on stdout').action(async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const ctx = new CliContext(command.opts());
    try {
      const code = await fn(ctx, ...(args.slice(0, -1) as A));
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } finally {
      await ctx.close();
    }
  });
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A plain text table with a header row. */
export function table(rows: Array<Record<string, unknown>>, columns: string[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) => columns.map((c) => cell(r[c]).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}
