#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { dbCommand } from './cli/db.js';
import { devCommand } from './cli/dev/command.js';
import { handlersCommand } from './cli/handlers.js';
import { initCommand } from './cli/init.js';
import { registerManagementCommands } from './cli/management.js';
import { exitAfterFlush } from './cli/output.js';
import { serveCommand, streamCommand } from './cli/serve.js';
import { workerCommand } from './cli/worker.js';
import { ConfigError } from './config/index.js';
import { describeDatabaseError, isDatabaseError, projectRoot } from './store/index.js';

/**
 * The `xaa` command line. Configuration and database errors print one line and exit 1; every
 * exit waits for stdout and stderr to be flushed (output piped to another program is not cut).
 */
const program = new Command('xaa')
  .description('Receiver for X Account Activity API (AAA) and X Activity API (XAA) webhooks')
  .version(packageVersion(), '-V, --version', "print the package's version")
  .showHelpAfterError();

/** This package's version, from its package.json (the installed one, wherever xaa runs from). */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

const MIGRATE = ['--migrate', 'apply pending database migrations first, as `xaa db migrate` does (or set MIGRATE_ON_START=true)'] as const;

program
  .command('serve')
  .description('start the webhook receiver (configuration from the environment and .env); refuses to start while database migrations are pending')
  .option(...MIGRATE)
  .option('--stream', 'also consume the XAA persistent stream (GET /2/activity/stream) into the same inbox (or set XAA_STREAM=on)')
  .action((o: { migrate?: boolean; stream?: boolean }) => serveCommand({ migrate: o.migrate, ...(o.stream ? { stream: true } : {}) }));

program
  .command('stream')
  .description(
    'receive XAA events by the persistent stream (GET /2/activity/stream, X_BEARER_TOKEN) into the inbox and run the handlers: no webhook, no public URL; backfill covers up to 5 minutes of disconnection',
  )
  .option(...MIGRATE)
  .action((o: { migrate?: boolean }) => streamCommand(o));

program
  .command('worker')
  .description('run handler plugins on stored events, without an HTTP server (scale out with several); refuses to start while database migrations are pending')
  .option(...MIGRATE)
  .action((o: { migrate?: boolean }) => workerCommand(o));

program.addCommand(dbCommand());
program.addCommand(devCommand());
registerManagementCommands(program);
program.addCommand(handlersCommand());
program.addCommand(initCommand());

/** Commander exits through us (see below), so that its own messages are flushed too. */
function throwInsteadOfExit(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) throwInsteadOfExit(sub);
}
throwInsteadOfExit(program);

/** One line: configuration and database errors are worded for people; others have their lines joined. */
function describe(error: unknown): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`;
  if (isDatabaseError(error)) return describeDatabaseError(error);
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

program.parseAsync(process.argv).then(
  () => {
    // Leave by the event loop running dry (exit code set by the command); nothing to cut short.
  },
  (error: unknown) => {
    if (error instanceof CommanderError) {
      // Commander printed its message (or the help, exit code 0) already.
      exitAfterFlush(error.exitCode);
      return;
    }
    process.stderr.write(`xaa: ${describe(error)}\n`);
    exitAfterFlush(1);
  },
);
