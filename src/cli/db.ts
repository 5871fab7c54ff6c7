import { Command } from 'commander';
import { loadConfig, readEnvironment } from '../config/index.js';
import { applyMigrations, databaseLabel, inspectMigrations } from '../store/index.js';

/**
 * `xaa db migrate|status`: the database's migrations from the installed package, offline and
 * without the Prisma CLI (a project that installed the package has no `npm run db:migrate`).
 */
export function dbCommand(): Command {
  const db = new Command('db').description('the database DATABASE_URL names: apply or show its migrations');

  db.command('migrate')
    .description('apply pending migrations (never destructive, never a prompt); prints one line')
    .action(async () => {
      const env = readEnvironment();
      const config = loadConfig(env);
      process.stdout.write(`${await applyMigrations(config.database, env)}\n`);
    });

  db.command('status')
    .description('list applied and pending migrations; exit 1 while any is pending or failed')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig(readEnvironment());
      const state = await inspectMigrations(config.database);
      const where = databaseLabel(config.database);
      const upToDate = state.pending.length === 0 && state.failed.length === 0;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ database: where, upToDate, ...state }, null, 2)}\n`);
      } else {
        const lines = [`${where}: ${state.applied.length} migration(s) applied, ${state.pending.length} pending${state.failed.length ? `, ${state.failed.length} failed` : ''}`];
        for (const name of state.pending) lines.push(`  pending  ${name}`);
        for (const name of state.failed) lines.push(`  failed   ${name}`);
        if (state.pending.length > 0) lines.push('run `xaa db migrate` to apply them');
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!upToDate) process.exitCode = 1;
    });

  return db;
}
