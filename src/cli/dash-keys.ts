import type { Command } from 'commander';

/**
 * The dedupe key of an event without a subscribed user starts with "-:" (`-:post.match:<post id>`,
 * `-:news:...`), which commander would take for an unknown option ("error: unknown option
 * '-:post.match:...'"). A command given to this takes such an argument as an operand, as if `--`
 * came before it; the value of an option that takes one is left to the option, and any other
 * argument starting with "-" is still an option (a mistyped one still fails).
 */
export function takesDashKeys(cmd: Command): Command {
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (args: string[]) => {
    const keys = new Map<string, string>();
    const marked = args.map((arg, i) => {
      if (!arg.startsWith('-:')) return arg;
      const before = i > 0 ? cmd.options.find((o) => o.long === args[i - 1] || o.short === args[i - 1]) : undefined;
      if (before && (before.required || before.optional)) return arg;
      // A mark commander reads as an operand (it does not start with "-"), swapped back below.
      const mark = `\u0000dash-key-${i}`;
      keys.set(mark, arg);
      return mark;
    });
    const parsed = parse(marked);
    const back = (list: string[]) => list.map((a) => keys.get(a) ?? a);
    return { operands: back(parsed.operands), unknown: back(parsed.unknown) };
  };
  return cmd;
}
