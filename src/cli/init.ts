import path from 'node:path';
import { Command } from 'commander';
import { installStep, writeHandlerProject } from '../scaffold/handler-project.js';
import { shellWord } from '../scaffold/shell-word.js';

/** `xaa init [dir]`: scaffolds a handler project (see src/scaffold/handler-project.ts). */
export function initCommand(): Command {
  return new Command('init')
    .argument('[dir]', 'the project folder (created when missing)', '.')
    .option('--force', 'overwrite files that exist already')
    .option('--json', 'print the result as JSON')
    .description('scaffold a handler project: package.json, a typed handler, its test, .env with comments')
    .action((dir: string, o: { force?: boolean; json?: boolean }) => {
      const result = writeHandlerProject(dir, { force: Boolean(o.force) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const relative = path.relative(process.cwd(), result.dir) || '.';
      const where = relative.startsWith('..') ? result.dir : relative;
      const steps = [
        ...(where === '.' ? [] : [`cd ${shellWord(where)}`]),
        installStep(),
        'npm test',
        'then set X_CONSUMER_SECRET in .env and run npm run dev',
      ];
      process.stdout.write(
        `wrote a handler project in ${result.dir}:\n${result.written.map((f) => `  ${f}${f === '.env' ? ' (mode 600)' : ''}`).join('\n')}\n` +
          `next:\n${steps.map((s) => `  ${s}`).join('\n')}\n`,
      );
    });
}
