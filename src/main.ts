#!/usr/bin/env node
import { Command } from 'commander';
import { handlersCommand } from './cli/handlers.js';
import { registerManagementCommands } from './cli/management.js';
import { serveCommand } from './cli/serve.js';
import { workerCommand } from './cli/worker.js';
import { ConfigError } from './config/index.js';

/** The `xaa` command line. Configuration errors print one line and exit 1. */
const program = new Command('xaa')
  .description('Receiver for X Account Activity API (AAA) and X Activity API (XAA) webhooks')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the webhook receiver (configuration from the environment and .env)')
  .action(serveCommand);

program
  .command('worker')
  .description('run handler plugins on stored events, without an HTTP server (scale out with several)')
  .action(workerCommand);

registerManagementCommands(program);
program.addCommand(handlersCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`xaa: configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`xaa: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
