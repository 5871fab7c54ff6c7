#!/usr/bin/env node
// npm run bench:wal
// Which tables and indexes one group commit of the SQLite writer writes, and how many pages: the
// WAL frames of 100 commits of 16 deliveries each (after 300 to give the tables some size), read
// back from the WAL file and matched to their b-tree through SQLite's dbstat table. Every page a
// commit touches is written whole to the WAL and fsynced before the deliveries' 200, so this is
// what the commit costs beyond the rows themselves. Run without plugins, then with one plugin
// attached to the writer (its handler runs, attempts and completions).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDelivery } from '../dist/src/normalize/prepare.js';
import { openConnection } from '../dist/src/store/sqlite-writer/connection.js';
import { deliveryStatements } from '../dist/src/store/sqlite-writer/deliveries.js';
import { queueStatements } from '../dist/src/store/sqlite-writer/queue.js';
import { deliveryBody } from './deliveries.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GROUP = 16;
const WARM_COMMITS = 300;
const COMMITS = 100;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

function measure(withPlugin) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-wal-pages-'));
  const file = path.join(dir, 'wal.db');
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: `file:${file}` }, stdio: 'ignore' });
  const db = openConnection({ file, synchronous: 'FULL', busyTimeoutMs: 5000 });
  try {
    // The WAL keeps every frame until it is checkpointed: none during the measured commits.
    db.pragma('wal_autocheckpoint = 0');
    const write = deliveryStatements(db, { dedupeWindowMs: 5 * 86_400_000 });
    const queue = queueStatements(db);
    const attached = withPlugin
      ? { plan: { owner: 'bench', leaseMs: 30_000, perUserOrder: false, plugins: [{ name: 'noop', types: null }], maxOutstanding: Infinity }, outstanding: new Set() }
      : undefined;
    let n = 0;
    // As in the server: the outcomes of the events pushed by one commit are recorded in the next.
    let outcomes = [];
    const commit = () => {
      const deliveries = Array.from({ length: GROUP }, () =>
        prepareDelivery({ receivedAt: new Date(), body: Buffer.from(deliveryBody(n++, 77)), contentType: 'application/json', userAgent: null, remoteAddr: '127.0.0.1' }),
      );
      const now = new Date();
      db.transaction(() => {
        queue.recordOutcomes(outcomes);
        const { pushed } = write(deliveries, attached);
        outcomes = pushed.map((p) => ({ eventId: p.event.id, owner: 'bench', worker: 'bench', runs: p.runs.map((run) => ({ run, startedAt: now, finishedAt: now, ok: true })), nextAt: null, now }));
      })();
    };
    for (let i = 0; i < WARM_COMMITS; i++) commit();
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (let i = 0; i < COMMITS; i++) commit();
    const pageSize = db.pragma('page_size', { simple: true });
    const owners = new Map(db.prepare('SELECT name, pageno FROM dbstat').all().map((r) => [r.pageno, r.name]));
    const wal = fs.readFileSync(`${file}-wal`);
    const pages = new Map();
    let frames = 0;
    for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
      const name = owners.get(wal.readUInt32BE(at)) ?? 'free';
      pages.set(name, (pages.get(name) ?? 0) + 1);
      frames++;
    }
    return { frames, pageSize, pages };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (!fs.existsSync(path.join(root, 'dist/src/main.js'))) throw new Error('run npm run build first');
for (const withPlugin of [false, true]) {
  const { frames, pageSize, pages } = measure(withPlugin);
  const kb = (frames * (pageSize + FRAME_HEADER)) / COMMITS / 1024;
  console.log(`${withPlugin ? 'one plugin attached' : 'no plugins'}: ${(frames / COMMITS).toFixed(1)} pages (${kb.toFixed(0)} KB) per commit of ${GROUP} deliveries`);
  for (const [name, count] of [...pages].sort((a, b) => b[1] - a[1])) console.log(`  ${(count / COMMITS).toFixed(1).padStart(5)}  ${name}`);
}
