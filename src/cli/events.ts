import { Command, Option } from 'commander';
import { EVENT_TYPES } from '../events/index.js';
import { pluginNames } from '../plugins/loader.js';
import { wholeNumber } from './whole-number.js';
import {
  EVENT_STATUSES,
  eventHandlers,
  getEvent,
  listDeadLetters,
  listEvents,
  recordedHandlers,
  redispatchEvents,
  redriveDeadLetters,
  type EventStatus,
} from '../store/index.js';
import { jsonAction, table, type CliContext } from './context.js';
import { takesDashKeys } from './dash-keys.js';

/** The plugins HANDLERS names in this environment (none when it is unset). */
async function configuredHandlers(ctx: CliContext): Promise<string[]> {
  return ctx.config.dispatch.handlers.length ? pluginNames(ctx.config.dispatch.handlers) : [];
}

const list = (names: string[]) => (names.length ? names.join(', ') : 'none');

export function eventsCommand(): Command {
  const cmd = new Command('events').description('events in the local store');

  jsonAction(
    cmd
      .command('list')
      .addOption(new Option('--type <type>', 'canonical event type').choices(EVENT_TYPES))
      .addOption(
        new Option('--state <state>', 'status (failing: a handler failed and a retry is scheduled; dead: a handler was dead-lettered; stale: older than the dedupe window on arrival, not dispatched)').choices(EVENT_STATUSES),
      )
      .option('--user <id>', 'the subscribed user (for_user_id)')
      .option('--limit <n>', 'at most this many, newest first', wholeNumber(1), '50')
      .description('list events, newest first, with their status (pending, failing, dead, done, stale)'),
    async (ctx, o: { type?: string; state?: EventStatus; user?: string; limit: string }) => {
      const db = (await ctx.db(true))!;
      const events = await listEvents(db.prisma, { type: o.type, state: o.state, forUserId: o.user, limit: Number(o.limit) });
      ctx.print(events, () =>
        table(events as unknown as Array<Record<string, unknown>>, ['id', 'type', 'action', 'forUserId', 'format', 'status', 'receivedAt', 'duplicateCount'], 'no events'),
      );
    },
  );

  jsonAction(takesDashKeys(cmd.command('show')).argument('<id>', 'event id or dedupe key').description('one event with its payload, handler runs and attempts'), async (ctx, id: string) => {
    const db = (await ctx.db(true))!;
    const e = await getEvent(db.prisma, id);
    if (!e) throw new Error(`no event ${id}`);
    ctx.print(e, () =>
      [
        table([e as unknown as Record<string, unknown>], ['id', 'type', 'action', 'forUserId', 'format', 'source', 'status', 'receivedAt']),
        `dedupe key: ${e.dedupeKey}`,
        '',
        'handler runs:',
        table(e.runs as unknown as Array<Record<string, unknown>>, ['handler', 'state', 'attempts', 'nextAttemptAt', 'completedAt', 'lastError']),
        '',
        'payload:',
        JSON.stringify(e.payload, null, 2),
      ].join('\n'),
    );
  });

  jsonAction(
    takesDashKeys(cmd.command('redispatch'))
      .argument('<ids...>', 'event ids or dedupe keys')
      .option('--handler <name>', 'only this handler (plugin name)')
      .description('set events back to pending so the dispatcher runs their handlers again'),
    async (ctx, ids: string[], o: { handler?: string }) => {
      const db = (await ctx.db(true))!;
      if (o.handler) {
        // A handler name must mean something for every event named: one of its runs, or a plugin
        // HANDLERS loads (which the dispatcher gives the event once it is pending again).
        const configured = await configuredHandlers(ctx);
        const found = await eventHandlers(db.prisma, ids);
        const strangers = [...found.values()].filter((e) => !e.handlers.includes(o.handler!) && !configured.includes(o.handler!));
        if (strangers.length) {
          const theirs = [...new Set(strangers.flatMap((e) => e.handlers))].sort();
          throw new Error(
            `unknown handler "${o.handler}" for event${strangers.length > 1 ? 's' : ''} ${strangers.map((e) => e.id).join(', ')}: ` +
              `${strangers.length > 1 ? 'their' : 'its'} handlers are ${list(theirs)}; plugins in HANDLERS: ${list(configured)}. Nothing was requeued`,
          );
        }
      }
      const r = await redispatchEvents(db.prisma, ids, new Date(), o.handler);
      ctx.print(r, () =>
        [`requeued ${r.requeued.length} event(s)`, r.busy.length ? `busy (a dispatcher holds them; try again): ${r.busy.join(', ')}` : '', r.missing.length ? `not found: ${r.missing.join(', ')}` : '']
          .filter(Boolean)
          .join('\n'),
      );
      return r.missing.length || r.busy.length ? 1 : 0;
    },
  );
  return cmd;
}

export function deadLettersCommand(): Command {
  const cmd = new Command('dead-letters').description('(event, handler) pairs that failed every attempt');

  jsonAction(
    cmd
      .command('list')
      .option('--handler <name>', 'only this handler')
      .option('--all', 'include those already redriven')
      .option('--limit <n>', 'at most this many, newest first', wholeNumber(1), '50')
      .description('list dead letters'),
    async (ctx, o: { handler?: string; all?: boolean; limit: string }) => {
      const db = (await ctx.db(true))!;
      const letters = await listDeadLetters(db.prisma, { handler: o.handler, includeRedriven: o.all, limit: Number(o.limit) });
      ctx.print(letters, () =>
        table(letters as unknown as Array<Record<string, unknown>>, ['id', 'eventId', 'type', 'handler', 'attempts', 'deadAt', 'redrivenAt', 'error'], 'no dead letters'),
      );
    },
  );

  jsonAction(
    cmd
      .command('redrive')
      .argument('[ids...]', 'dead letter ids')
      .option('--all', 'every dead letter not yet redriven')
      .option('--handler <name>', 'only this handler')
      .description('run dead-lettered handlers again (a fresh retry schedule)'),
    async (ctx, ids: string[], o: { all?: boolean; handler?: string }) => {
      if (ids.length === 0 && !o.all && !o.handler) throw new Error('name dead letter ids, or pass --all (or --handler <name>)');
      const db = (await ctx.db(true))!;
      if (o.handler) {
        const known = [...new Set([...(await recordedHandlers(db.prisma)), ...(await configuredHandlers(ctx))])].sort();
        if (!known.includes(o.handler)) {
          throw new Error(`unknown handler "${o.handler}": handlers with runs in the store or plugins in HANDLERS are ${list(known)}`);
        }
      }
      const r = await redriveDeadLetters(db.prisma, { ...(ids.length ? { ids } : {}), ...(o.handler ? { handler: o.handler } : {}) }, new Date());
      ctx.print(r, () =>
        [`redriven ${r.redriven.length}`, r.busy.length ? `busy: ${r.busy.join(', ')}` : '', r.missing.length ? `not found or already redriven: ${r.missing.join(', ')}` : '']
          .filter(Boolean)
          .join('\n'),
      );
      return r.missing.length || r.busy.length ? 1 : 0;
    },
  );
  return cmd;
}
