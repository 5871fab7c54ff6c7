import { Command } from 'commander';
import { dropPendingRuns, handlerRunCounts, renameHandlerRuns } from '../store/index.js';
import { jsonAction, table } from './context.js';

const BUSY = 'on events a dispatcher holds right now: run the command again';
const NONE = (name: string, what: string) => `no ${what} named "${name}" (\`xaa handlers list\` shows the names in the store)`;

/**
 * `xaa handlers list|rename|drop`: handler runs by plugin name. Completion records key on the
 * plugin's name; after a plugin is renamed or removed, these move or drop what its old name left.
 */
export function handlersCommand(): Command {
  const cmd = new Command('handlers').description('handler runs by plugin name: move them to a renamed plugin, drop those of a removed one');

  jsonAction(cmd.command('list').description('handler names in the store, with their pending, done and dead runs'), async (ctx) => {
    const db = (await ctx.db(true))!;
    const counts = await handlerRunCounts(db.prisma);
    ctx.print(counts, () => table(counts as unknown as Array<Record<string, unknown>>, ['handler', 'pending', 'done', 'dead'], 'no handler runs'));
  });

  jsonAction(
    cmd
      .command('rename')
      .argument('<old-name>', 'the name the plugin had')
      .argument('<new-name>', 'the name it has now')
      .description("move a renamed plugin's runs (pending, done, dead) and dead letters to its new name; its pending runs are due again at once"),
    async (ctx, from: string, to: string) => {
      const db = (await ctx.db(true))!;
      const r = await renameHandlerRuns(db.prisma, from, to, new Date());
      const none = r.moved + r.merged + r.busy === 0;
      ctx.print({ from, to, ...r }, () =>
        [
          none ? NONE(from, 'handler runs are') : `moved ${r.moved} run(s) from "${from}" to "${to}" (${r.movedPending} pending, due now)`,
          r.merged ? `${r.merged} event(s) had a run under both names: one kept each (the completed one, else "${to}"'s)` : '',
          r.busy ? `${r.busy} run(s) left under "${from}": ${BUSY}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return r.busy || none ? 1 : 0;
    },
  );

  jsonAction(
    cmd
      .command('drop')
      .argument('<name>', 'the name of a plugin that is no longer loaded')
      .description('delete the pending runs of a removed plugin (its completed runs and dead letters stay as records)'),
    async (ctx, name: string) => {
      const db = (await ctx.db(true))!;
      const r = await dropPendingRuns(db.prisma, name, new Date());
      const none = r.dropped + r.busy === 0;
      ctx.print({ name, ...r }, () =>
        [
          none ? NONE(name, 'pending handler runs are') : `dropped ${r.dropped} pending run(s) of "${name}"`,
          r.busy ? `${r.busy} run(s) left: ${BUSY}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return r.busy || none ? 1 : 0;
    },
  );
  return cmd;
}
