import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerProjectFiles, installStep, packageNameFor, writeHandlerProject } from '../../src/scaffold/handler-project.js';
import { repoRoot } from '../support/databases.js';
import { runXaa } from './xaa-run.js';

// The scaffolded project itself (installed, type-checked, its test run, served) is exercised in
// test/package/installed-package.test.ts; these are the rules of writing it.

const ownManifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-init-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('xaa init', () => {
  it('writes package.json, a typed handler, its test, tsconfig, .gitignore and .env (mode 600) into a new folder', async () => {
    const dir = path.join(tempDir(), 'My Bot');
    const result = await runXaa(['init', dir], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('.env (mode 600)');
    const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    expect(files).toEqual(
      ['.env', '.env.example', '.gitignore', 'README.md', 'package.json', 'src/handlers/mentions.ts', 'test/mentions.test.ts', 'tsconfig.build.json', 'tsconfig.json'].sort(),
    );
    expect(fs.statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600);
    const env = fs.readFileSync(path.join(dir, '.env'), 'utf8');
    // Every setting is explained by a comment above it.
    for (const variable of ['X_CONSUMER_SECRET', 'DATABASE_URL', 'HANDLERS', 'HANDLER_OPTIONS_MENTIONS']) {
      expect(env).toMatch(new RegExp(`#.*\\n${variable}=`));
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.name).toBe('my-bot');
    expect(manifest.dependencies).toEqual({ 'x-activity-receiver': `^${ownManifest.version}` });
    expect(manifest.scripts!.test).toContain('test/mentions.test.ts');
    expect(fs.readFileSync(path.join(dir, 'src/handlers/mentions.ts'), 'utf8')).toContain("from 'x-activity-receiver'");
    expect(fs.readFileSync(path.join(dir, 'test/mentions.test.ts'), 'utf8')).toContain("from 'x-activity-receiver/testing'");
  });

  it('writes nothing when one of its files exists, and overwrites with --force (resetting the mode of .env)', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '.env'), 'X_CONSUMER_SECRET=mine\n', { mode: 0o644 });
    fs.chmodSync(path.join(dir, '.env'), 0o644);
    const refused = await runXaa(['init', dir], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('xaa: .env exists already; nothing was written (--force overwrites)');
    expect(fs.readdirSync(dir)).toEqual(['.env']);
    expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toBe('X_CONSUMER_SECRET=mine\n');

    const forced = await runXaa(['init', dir, '--force', '--json'], {});
    expect(forced.code).toBe(0);
    expect((JSON.parse(forced.stdout) as { written: string[] }).written).toContain('.env');
    expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toContain('HANDLERS=./src/handlers/mentions.ts');
    expect(fs.statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600);
  });

  it('is examples/handler-project: the template is the committed example, with the versions this repository develops with', () => {
    const template = path.join(repoRoot, 'examples', 'handler-project');
    const files = handlerProjectFiles('/somewhere/handler-project');
    for (const file of files) {
      const source = file.path === '.env' ? '.env.example' : file.path === '.gitignore' ? 'gitignore' : file.path;
      expect(fs.existsSync(path.join(template, source)), source).toBe(true);
    }
    const example = JSON.parse(fs.readFileSync(path.join(template, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    for (const [name, range] of Object.entries(example.devDependencies)) {
      expect(range, name).toBe(`^${ownManifest.devDependencies[name]}`);
    }
  });

  it('names the package after the folder, as npm allows', () => {
    expect(packageNameFor('/x/Mentions Bot')).toBe('mentions-bot');
    expect(packageNameFor('/x/.hidden')).toBe('hidden');
    expect(packageNameFor('/x/___')).toBe('x-handlers');
  });
  it('prints an install step that names where the package comes from (it is not on the npm registry: a bare npm install fails)', async () => {
    const dir = tempDir();
    const result = await runXaa(['init', dir], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  ${installStep(repoRoot)}\n`);

    const manifest = JSON.stringify({ name: 'x-activity-receiver', version: '1.2.3' });
    // A clone without a tarball: the tarball's path, and how to make it.
    const clone = tempDir();
    fs.writeFileSync(path.join(clone, 'package.json'), manifest);
    expect(installStep(clone)).toBe(
      `npm install ${path.join(clone, 'x-activity-receiver-1.2.3.tgz')}   (x-activity-receiver is not on the npm registry yet: run npm pack in ${clone} first)`,
    );
    // The tarball npm pack wrote: its path.
    fs.writeFileSync(path.join(clone, 'x-activity-receiver-1.2.3.tgz'), '');
    expect(installStep(clone)).toBe(`npm install ${path.join(clone, 'x-activity-receiver-1.2.3.tgz')}`);
    // Installed into a project already (from the registry or a tarball): npm install.
    const installed = path.join(tempDir(), 'node_modules', 'x-activity-receiver');
    fs.mkdirSync(installed, { recursive: true });
    fs.writeFileSync(path.join(installed, 'package.json'), manifest);
    expect(installStep(installed)).toBe('npm install');
  });

  it('prints steps a shell runs as they are, for a folder with a space in its name (cd /tmp/x/My Bot went to /tmp/x/My)', async () => {
    const dir = path.join(tempDir(), 'My Bot');
    const result = await runXaa(['init', dir], {});
    expect(result.code).toBe(0);
    const cd = result.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('cd '))!;
    expect(cd).toBe(`cd "${dir}"`);
    expect(execFileSync('sh', ['-c', `${cd} && pwd -P`], { encoding: 'utf8' }).trim()).toBe(fs.realpathSync(dir));

    const clone = path.join(tempDir(), 'my clones', 'x-activity-receiver');
    fs.mkdirSync(clone, { recursive: true });
    fs.writeFileSync(path.join(clone, 'package.json'), JSON.stringify({ name: 'x-activity-receiver', version: '1.2.3' }));
    fs.writeFileSync(path.join(clone, 'x-activity-receiver-1.2.3.tgz'), '');
    const step = installStep(clone);
    expect(step).toBe(`npm install "${path.join(clone, 'x-activity-receiver-1.2.3.tgz')}"`);
    // The shell hands npm the tarball's path as one argument.
    const args = execFileSync('sh', ['-c', `set -- ${step.slice('npm install '.length)}; printf '%s\\n' "$#" "$1"`], { encoding: 'utf8' });
    expect(args).toBe(`1\n${path.join(clone, 'x-activity-receiver-1.2.3.tgz')}\n`);
  });

  it("gives the project the install-script approvals this repository has for the packages they share (allowScripts)", () => {
    const files = handlerProjectFiles('/somewhere/handler-project');
    const manifest = JSON.parse(files.find((f) => f.path === 'package.json')!.content) as { allowScripts: Record<string, boolean> };
    expect(Object.keys(manifest.allowScripts).sort()).toEqual(['better-sqlite3', 'esbuild']);
    for (const [name, allowed] of Object.entries(manifest.allowScripts)) expect(allowed, name).toBe(ownManifest.allowScripts[name]);
  });
});
