import type { Command } from 'commander';
import { activityCommand } from './activity.js';
import { crcCommand } from './crc.js';
import { doctorCommand } from './doctor.js';
import { emulateCommand } from './emulate.js';
import { deadLettersCommand, eventsCommand } from './events.js';
import { migrateCommand } from './migrate.js';
import { replayCommand } from './replay.js';
import { streamLinksCommand } from './stream-links.js';
import { streamRulesCommand } from './stream-rules.js';
import { subscriptionsCommand } from './subscriptions.js';
import { triggerCommand } from './trigger.js';
import { webhooksCommand } from './webhooks.js';

/** Adds the management, diagnostic and store commands to the `xaa` program. */
export function registerManagementCommands(program: Command): Command {
  for (const cmd of [
    webhooksCommand(),
    subscriptionsCommand(),
    replayCommand(),
    activityCommand(),
    streamLinksCommand(),
    streamRulesCommand(),
    migrateCommand(),
    triggerCommand(),
    crcCommand(),
    doctorCommand(),
    eventsCommand(),
    deadLettersCommand(),
    emulateCommand(),
  ]) {
    program.addCommand(cmd);
  }
  return program;
}
