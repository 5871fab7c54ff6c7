#!/usr/bin/env node
// npm run bench:store [-- --pg postgresql://...]
// Rate of one-delivery transactions through the store API (recordDelivery: one delivery and its
// event, one transaction), sequential and 16-way concurrent, on SQLite (FULL and NORMAL) and on
// PostgreSQL when a URL is given. Results go to bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../dist/src/config/index.js';
import { openDatabase, recordDelivery } from '../dist/src/store/index.js';
import { deliveryBody } from './deliveries.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const pgIndex = argv.indexOf('--pg');
const pgUrl = pgIndex >= 0 ? argv[pgIndex + 1] : process.env.BENCH_POSTGRES_URL;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

let n = 0;
function delivery() {
  const i = n++;
  const body = Buffer.from(deliveryBody(i, 900 + (process.pid % 100)));
  return {
    receivedAt: new Date(),
    format: 'aaa',
    status: 'accepted',
    body,
    bodySha256: `bench-${process.pid}-${i}`,
    events: [{ dedupeKey: `bench:${process.pid}:${i}`, type: 'post.create', forUserId: '2244994945', format: 'aaa', payload: body.toString() }],
  };
}

async function measure(db, lanes) {
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < deadline) {
        await recordDelivery(db.prisma, delivery());
        done++;
      }
    }),
  );
  return Math.round(done / SECONDS);
}

async function run(label, url, env = {}) {
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  const db = await openDatabase(loadConfig({ DATABASE_URL: url, ...env }).database);
  const sequential = await measure(db, 1);
  const concurrent16 = await measure(db, 16);
  await db.close();
  return { target: label, sequential, concurrent16 };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-store-bench-'));
const results = [];
results.push(await run('SQLite, synchronous=FULL', `file:${path.join(tmp, 'full.db')}`, { SQLITE_SYNCHRONOUS: 'FULL' }));
results.push(await run('SQLite, synchronous=NORMAL', `file:${path.join(tmp, 'normal.db')}`, { SQLITE_SYNCHRONOUS: 'NORMAL' }));
if (pgUrl) {
  const name = `xaa_store_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  try {
    results.push(await run('PostgreSQL (pool 16)', url.toString()));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
fs.rmSync(tmp, { recursive: true, force: true });

console.log(`\none-delivery transactions per second (recordDelivery through Prisma), ${SECONDS}s each, ${os.cpus().length} cores, Node ${process.version}\n`);
console.log('| store | sequential | 16 concurrent |\n|---|---|---|');
for (const r of results) console.log(`| ${r.target} | ${r.sequential} | ${r.concurrent16} |`);
const out = { date: new Date().toISOString(), kind: 'store', seconds: SECONDS, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, results };
const file = path.join(root, 'bench/results', `${out.date.replace(/[:.]/g, '-')}-store.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`\nwritten: ${path.relative(root, file)}`);
