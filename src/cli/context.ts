import type { Command } from 'commander';
import { loadConfig, readEnvironment, type Config } from '../config/index.js';
import { clientFromConfig, formatWait, Management, type XClient } from '../management/index.js';
import { DatabaseError, describeDatabaseError, migrationState, openDatabase, type Database } from '../store/index.js';
import { databaseLabel } from '../store/service-database.js';

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
      problem = `the database at DATABASE_URL (${databaseLabel(this.config.database)}) has ${state.pending.length} pending migration(s): run \`xaa db migrate\``;
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

export interface TableOptions {
  /** Wrap cells onto continuation lines to fit the width instead of ever cutting them (doctor). */
  wrap?: boolean;
}

/** Where output goes when it is not a terminal (a pipe, a file): wrapped tables use this width. */
export const PIPE_WIDTH = 100;

/** The width of the terminal stdout writes to; undefined when stdout is not a terminal. */
function terminalWidth(): number | undefined {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : undefined;
}

/** Greedy word wrap; a word longer than `width` (a URL) keeps its own line, whole. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines;
}

/** Column widths that fit `max` (two spaces between columns): the widest columns give way first, none below 20 (or its header). */
function fitWidths(natural: number[], headers: string[], max: number): number[] {
  const widths = natural.slice();
  const floor = natural.map((w, i) => Math.max(headers[i]!.length, Math.min(20, w)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  for (let excess = total() - max; excess > 0; excess = total() - max) {
    const shrinkable = widths.map((_, i) => i).filter((i) => widths[i]! > floor[i]!);
    if (shrinkable.length === 0) break;
    const i = shrinkable.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    const next = Math.max(0, ...shrinkable.filter((j) => j !== i).map((j) => widths[j]!));
    const target = Math.max(floor[i]!, next, widths[i]! - excess);
    widths[i] = target < widths[i]! ? target : widths[i]! - 1;
  }
  return widths;
}

/**
 * A plain text table with a header row. On a terminal, cells wider than 80 characters are cut
 * with "…" (the full values are in --json); anywhere else (a pipe, a file) nothing is cut.
 * `wrap`: cells are wrapped to fit the terminal's width (PIPE_WIDTH off a terminal), never cut.
 */
export function table(rows: Array<Record<string, unknown>>, columns: string[], empty = '(none)', options: TableOptions = {}): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) => columns.map((c) => cell(r[c]).replace(/\s+/g, ' ')));
  const header = columns.map((c) => c.toUpperCase());
  const natural = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const terminal = terminalWidth();

  if (options.wrap) {
    const widths = fitWidths(natural, header, terminal ?? PIPE_WIDTH);
    const out: string[] = [];
    for (const values of [header, ...cells]) {
      const wrapped = values.map((v, i) => wrapText(v, widths[i]!));
      const height = Math.max(...wrapped.map((w) => w.length));
      for (let k = 0; k < height; k++) {
        out.push(
          wrapped
            .map((w, i) => (w[k] ?? '').padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
      }
    }
    return out.join('\n');
  }

  const widths = terminal ? natural.map((w) => Math.min(80, w)) : natural;
  const line = (values: string[]) =>
    values
      .map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
