import type { Logger } from '../log/index.js';
import { pendingRunsByHandler, reopenEventsWithPendingRuns, type Database } from '../store/index.js';

/**
 * Startup check: pending handler runs under a name no loaded plugin has (a plugin renamed or
 * removed; completion records key on the name). The dispatcher leaves those alone, so they wait
 * for the operator: one warning lists them with their counts and the commands that move or drop
 * them. Returns what it found.
 */
export async function reportOrphanedRuns(
  db: Database,
  loaded: readonly string[],
  logger: Logger,
): Promise<Array<{ handler: string; pending: number }>> {
  const orphaned = (await pendingRunsByHandler(db.prisma)).filter((r) => !loaded.includes(r.handler));
  if (orphaned.length === 0) return orphaned;
  const total = orphaned.reduce((n, r) => n + r.pending, 0);
  logger.warn(
    { orphaned: Object.fromEntries(orphaned.map((r) => [r.handler, r.pending])), loaded },
    `${total} pending handler run(s) belong to no loaded plugin: ${orphaned.map((r) => `"${r.handler}" (${r.pending})`).join(', ')}. ` +
      'They are left alone (not run, not dead-lettered). If the plugin was renamed, move them and its records to the new name: ' +
      '`xaa handlers rename <old-name> <new-name>`; if it was removed, discard them: `xaa handlers drop <name>`',
  );
  return orphaned;
}

/**
 * Startup: events completed while one of the loaded plugins was not (removed and added back, or
 * missing on the process that took them) still owe that plugin its pending runs: they are handed
 * out again. Returns how many events.
 */
export async function reopenOwedEvents(db: Database, loaded: readonly string[], logger: Logger, now = new Date()): Promise<number> {
  const reopened = await reopenEventsWithPendingRuns(db.prisma, loaded, now);
  if (reopened > 0) {
    logger.info({ events: reopened, loaded }, `${reopened} completed event(s) still had pending runs of a loaded plugin (it was not loaded when they completed): pending again`);
  }
  return reopened;
}
