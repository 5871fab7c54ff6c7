import { Command } from 'commander';
import type { StreamRulesChange } from '../management/index.js';
import { jsonAction, table } from './context.js';

function summaryLine(change: StreamRulesChange): string {
  const counts = Object.entries(change.summary).map(([k, v]) => `${k.replace(/_/g, ' ')} ${String(v)}`);
  return counts.length ? ` (${counts.join(', ')})` : '';
}

/** `xaa stream-rules`: the filtered-stream rules that decide which Posts a linked webhook gets. */
export function streamRulesCommand(): Command {
  const cmd = new Command('stream-rules').description(
    'filtered-stream rules (GET / POST /2/tweets/search/stream/rules; app bearer token: X_BEARER_TOKEN): Posts matching any of them go to the webhooks linked with `xaa stream-links add`',
  );

  jsonAction(cmd.command('list').argument('[ids...]', 'only these rule ids').description('the app\'s filtered-stream rules'), async (ctx, ids: string[]) => {
    const rules = await ctx.client().listStreamRules(ids);
    ctx.print(rules, () => table(rules as unknown as Array<Record<string, unknown>>, ['id', 'value', 'tag'], 'no filtered-stream rules'));
  });

  jsonAction(
    cmd
      .command('add')
      .argument('<value>', 'the rule, in X\'s rule syntax, e.g. "coffee -is:retweet" (1 to 2,048 characters)')
      .option('--tag <tag>', 'a label X sends back in each matching delivery (event.data.rules[].tag)')
      .option('--dry-run', 'let X check the rule without adding it')
      .description('add a filtered-stream rule'),
    async (ctx, value: string, o: { tag?: string; dryRun?: boolean }) => {
      const change = await ctx.client().addStreamRules([{ value, ...(o.tag !== undefined ? { tag: o.tag } : {}) }], { dryRun: Boolean(o.dryRun) });
      ctx.print(change, () =>
        [
          ...change.rules.map((r) => `${o.dryRun ? 'valid (dry run, not added)' : 'added'} rule ${r.id || '-'}: ${r.value}${r.tag !== undefined ? ` [${r.tag}]` : ''}`),
          ...change.problems.map((p) => `not added: ${p}`),
          ...(change.rules.length || change.problems.length ? [] : [`X added no rule${summaryLine(change)}`]),
        ].join('\n'),
      );
      return change.rules.length > 0 && change.problems.length === 0 ? 0 : 1;
    },
  );

  jsonAction(
    cmd.command('remove').argument('<ids...>', 'one or more rule ids (`xaa stream-rules list`)').description('delete filtered-stream rules by id'),
    async (ctx, ids: string[]) => {
      const change = await ctx.client().deleteStreamRules([...new Set(ids)]);
      ctx.print({ ids, ...change }, () => [`deleted rule(s) ${ids.join(', ')}${summaryLine(change)}`, ...change.problems.map((p) => `not deleted: ${p}`)].join('\n'));
      return change.problems.length ? 1 : 0;
    },
  );
  return cmd;
}
