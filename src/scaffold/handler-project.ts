import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../store/index.js';
import { shellWord } from './shell-word.js';

/**
 * `xaa init`: a handler project written from the template the package ships,
 * examples/handler-project (a plugin in TypeScript, its test through `x-activity-receiver/testing`,
 * package.json, tsconfig, the receiver's settings). Existing files are never overwritten unless
 * `force`; `.env` is created readable by its owner only.
 */

export interface ScaffoldFile {
  /** Path inside the project, with / separators. */
  path: string;
  content: string;
  /** File mode: 0o600 for `.env` (it will hold the consumer secret), else 0o644. */
  mode: number;
}

/** The template folder inside the package. */
export function templateDir(): string {
  return path.join(projectRoot(), 'examples', 'handler-project');
}

/** Left out of the template when a user has installed or run it in place. */
const SKIPPED = new Set(['node_modules', 'dist', 'data', '.env', 'package-lock.json']);

/** A file npm would not ship under its real name, kept in the template under another. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

function templateFiles(dir: string, prefix = ''): Array<{ path: string; content: string }> {
  const out: Array<{ path: string; content: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIPPED.has(entry.name)) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...templateFiles(full, relative));
    else if (entry.isFile()) out.push({ path: prefix ? relative : (RENAMED[entry.name] ?? entry.name), content: fs.readFileSync(full, 'utf8') });
  }
  return out;
}

/** An npm package name from a folder name: lower case, other characters as -. */
export function packageNameFor(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name || 'x-handlers';
}

/** This package's own manifest (its version goes into the project's dependency on it). */
function ownManifest(): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
}

/** The files of a handler project for the folder `dir`. */
export function handlerProjectFiles(dir: string): ScaffoldFile[] {
  const own = ownManifest();
  const files: ScaffoldFile[] = [];
  for (const file of templateFiles(templateDir())) {
    if (file.path === 'package.json') {
      const manifest = JSON.parse(file.content) as { name: string; dependencies?: Record<string, string> };
      manifest.name = packageNameFor(dir);
      manifest.dependencies = { ...manifest.dependencies, [own.name]: `^${own.version}` };
      files.push({ path: file.path, content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o644 });
      continue;
    }
    files.push({ ...file, mode: 0o644 });
    // The settings themselves, beside the example of them that is committed.
    if (file.path === '.env.example') files.push({ path: '.env', content: file.content, mode: 0o600 });
  }
  return files;
}

export class ScaffoldConflictError extends Error {
  constructor(readonly existing: string[]) {
    super(`${existing.join(', ')} ${existing.length === 1 ? 'exists' : 'exist'} already; nothing was written (--force overwrites)`);
    this.name = 'ScaffoldConflictError';
  }
}

export interface ScaffoldResult {
  dir: string;
  written: string[];
}

/**
 * Writes a handler project into `dir` (created when missing). Without `force`, refuses before
 * writing anything when one of its files exists.
 */
export function writeHandlerProject(dir: string, options: { force?: boolean } = {}): ScaffoldResult {
  const root = path.resolve(dir);
  const files = handlerProjectFiles(root);
  if (!options.force) {
    const existing = files.filter((f) => fs.existsSync(path.join(root, f.path))).map((f) => f.path);
    if (existing.length) throw new ScaffoldConflictError(existing);
  }
  for (const file of files) {
    const target = path.join(root, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content, { mode: file.mode });
    // An overwritten file keeps its old mode: set it.
    fs.chmodSync(target, file.mode);
  }
  return { dir: root, written: files.map((f) => f.path) };
}

/**
 * The install step `xaa init` prints. The package is not on the npm registry yet, so a plain
 * `npm install` in the new project fails (404) unless it can name where the package comes from:
 * the tarball `npm pack` wrote beside this package, if any; `npm install` alone where this
 * package was itself installed into a project; else how to make the tarball.
 */
export function installStep(root: string = projectRoot()): string {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const tarball = path.join(root, `${name}-${version}.tgz`);
  if (fs.existsSync(tarball)) return `npm install ${shellWord(tarball)}`;
  if (root.split(path.sep).includes('node_modules')) return 'npm install';
  return `npm install ${shellWord(tarball)}   (${name} is not on the npm registry yet: run npm pack in ${root} first)`;
}
