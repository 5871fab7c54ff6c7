#!/usr/bin/env node
// npm run bench [-- --quick] [-- --pg postgresql://...] [-- --only stream]
// Starts the project's server (production build) and the bare baselines in bench/baselines,
// drives each with the same load of signed, realistic deliveries, alternating runs, and prints
// requests/s, p50/p99 latency and the ratio to baseline (a). Results go to bench/results/.
// Stream intake: `xaa stream` reading the XAA persistent stream from a feeder (events/s stored),
// beside webhook intake in the same run. `--only stream`: that and webhook POST x32 on SQLite only.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { cpuBetween, cpuPerDelivery, cpuSnapshot } from './cpu.mjs';
import { deliveryBody, signed, streamLine } from './deliveries.mjs';
import { startFeeder } from './stream-feeder.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
if (only !== undefined && only !== 'stream') throw new Error('--only takes: stream');
const quick = argv.includes('--quick') || only === 'stream';
// Stream intake: this many event lines through `xaa stream`.
const STREAM_EVENTS = quick ? 20_000 : 100_000;
// The long run: LONG_EVENTS deliveries into one SQLite receiver, sampled every LONG_STEP.
const longIndex = argv.indexOf('--long');
const LONG_EVENTS = longIndex >= 0 ? Number(argv[longIndex + 1]) : quick ? 0 : 1_000_000;
const LONG_STEP = Math.max(10_000, Math.round(LONG_EVENTS / 10));
/** How long (a) is driven after each step of the long run. */
const LONG_BASELINE_SECONDS = 4;
/** Backlog drain: this many deliveries stored with no plugin, then drained by the plugin receiver. */
const DRAIN_DELIVERIES = quick ? 20_000 : 60_000;
const DRAIN_ROUNDS = quick ? 1 : 3;
/** Rounds of the long run's receiver at its end against one on an empty store. */
const LONG_END_ROUNDS = quick ? 2 : 6;
const pgIndex = argv.indexOf('--pg');
const pgUrl = pgIndex >= 0 ? argv[pgIndex + 1] : process.env.BENCH_POSTGRES_URL;
const SECRET = 'bench-consumer-secret-0123456789';
// Every server process of the bench runs as `npm start` and the container run the server: with
// node's default flags. The plugin receiver also runs once more with single-threaded garbage
// collection, beside it (npm start used it until the dispatcher's garbage was fixed: see the
// README's performance section).
const NODE_FLAGS = [];
const SINGLE_THREADED_GC = ['--single-threaded-gc'];
const duration = quick ? 5 : 10;
const rounds = quick ? 1 : 3;
const scenarios = only === 'stream'
  ? [{ name: 'POST x32', kind: 'post', connections: 32 }]
  : quick
  ? [{ name: 'POST x32', kind: 'post', connections: 32 }, { name: 'CRC x32', kind: 'crc', connections: 32 }]
  : [
      { name: 'POST x1', kind: 'post', connections: 1 },
      { name: 'POST x32', kind: 'post', connections: 32 },
      { name: 'POST x128', kind: 'post', connections: 128 },
      { name: 'CRC x32', kind: 'crc', connections: 32 },
    ];

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(port, pathName) {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${pathName}`);
      if (res.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${port} did not come up`);
}

async function startProcess(name, args, env, probe, nodeFlags = NODE_FLAGS) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, X_CONSUMER_SECRET: SECRET, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUp(port, probe);
  return { name, port, child, nodeFlags, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

async function receiverTarget(name, databaseUrl, env = {}, nodeFlags = NODE_FLAGS) {
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'ignore' });
  const target = await startProcess(name, ['dist/src/main.js', 'serve'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ADMIN_TOKEN, ...env }, '/healthz', nodeFlags);
  target.databaseUrl = databaseUrl;
  // Its /metrics can be read (thread CPU, dispatch lag).
  target.metrics = true;
  return target;
}

const PLUGIN_TARGET = 'receiver, SQLite + no-op handler';
const PLUGIN_TARGET_SINGLE_THREADED_GC = 'receiver, SQLite + no-op handler, --single-threaded-gc';

/**
 * The receiver with the no-op plugin dispatching in-server. It runs in the POST x32 rounds (the
 * main one in the POST x128 rounds too) between the other targets, so that its ratio to them is
 * measured as theirs are; after each of its runs the bench waits for its queue to drain before
 * the next target starts.
 */
async function pluginTarget(tmp, name = PLUGIN_TARGET, nodeFlags = NODE_FLAGS) {
  const target = await receiverTarget(name, `file:${path.join(tmp, name.replace(/\W+/g, '-') + '.db')}`, {
    HANDLERS: './bench/noop-plugin.mjs',
    ADMIN_TOKEN,
    DISPATCH_CONCURRENCY: '32',
  }, nodeFlags);
  // The main plugin target also runs at 128 connections, beside (a) and the receiver without plugins.
  target.scenarios = name === PLUGIN_TARGET ? ['POST x32', 'POST x128'] : ['POST x32'];
  target.drainedAfterMs = [];
  return target;
}

async function metricsOf(target) {
  return (await fetch(`http://127.0.0.1:${target.port}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
}

/** Waits for the plugin target's queue to be empty; returns the ms since the load stopped. */
async function drain(target, loadEnded) {
  for (let i = 0; i < 600; i++) {
    if (/^xaa_queue_depth 0$/m.test(await metricsOf(target))) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return Date.now() - loadEnded;
}

let sequence = 0;
const runId = Date.now() % 1000;
function load(target, scenario) {
  const url = `http://127.0.0.1:${target.port}/webhook`;
  const options = { url, connections: scenario.connections, duration, pipelining: 1 };
  if (scenario.kind === 'crc') {
    options.requests = [{ method: 'GET', path: '/webhook?crc_token=' + 'A'.repeat(24) + 'bench_crc-token' }];
  } else {
    options.requests = [
      {
        method: 'POST',
        setupRequest: (req) => {
          const d = signed(SECRET, deliveryBody(sequence++, runId));
          return { ...req, body: d.body, headers: d.headers };
        },
      },
    ];
  }
  return new Promise((resolve, reject) => autocannon(options, (err, result) => (err ? reject(err) : resolve(result))));
}

/**
 * Signed deliveries POSTed at 32 connections, their ids from `series` (distinct per scenario, so
 * that no scenario's deliveries are duplicates of another's): `{ amount }` requests or
 * `{ duration }` seconds.
 */
function post32(target, series, until) {
  const requests = [{ method: 'POST', setupRequest: (req) => { const d = signed(SECRET, deliveryBody(sequence++, series)); return { ...req, body: d.body, headers: d.headers }; } }];
  return new Promise((resolve, reject) =>
    autocannon({ url: `http://127.0.0.1:${target.port}/webhook`, connections: 32, ...until, requests }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

/** p-quantile from a Prometheus histogram (linear inside the bucket), in ms. */
function histogramQuantile(text, name, q) {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+(?:\\.\\d+)?)$`, 'gm'))].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe * 1000;
      return (prevLe + ((rank - prevCount) / Math.max(1, count - prevCount)) * (le - prevLe)) * 1000;
    }
    prevLe = le;
    prevCount = count;
  }
  return null;
}

/**
 * Stream intake: `xaa stream` (SQLite, no plugin) connected to a feeder that writes STREAM_EVENTS
 * XAA event lines as fast as they are read. Rate: events stored (xaa_stream_events_total) over
 * the time from the connection to the last one committed, polled every 50 ms.
 */
async function streamIntake(tmp) {
  const url = `file:${path.join(tmp, 'stream.db')}`;
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  const bearer = 'bench-bearer-token-0123456789';
  const at = new Date();
  const lines = Array.from({ length: STREAM_EVENTS }, (_, n) => streamLine(n, runId, at));
  const bytes = lines.reduce((s, l) => s + l.length + 2, 0);
  const feeder = await startFeeder(lines, bearer);
  const target = await startProcess(
    'receiver, SQLite (xaa stream)',
    ['dist/src/main.js', 'stream'],
    { DATABASE_URL: url, LOG_LEVEL: 'warn', X_API_BASE_URL: feeder.url, X_BEARER_TOKEN: bearer, ADMIN_TOKEN },
    '/healthz',
  );
  try {
    let stored = 0;
    let doneAt = null;
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const text = await metricsOf(target);
      stored = [...text.matchAll(/^xaa_stream_events_total\{outcome="[^"]+"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
      if (stored >= STREAM_EVENTS) {
        doneAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = doneAt !== null && feeder.state.connectedAt !== null ? (doneAt - feeder.state.connectedAt) / 1000 : null;
    const rssMb = residentMb(target.child.pid);
    return {
      scenario: 'stream intake',
      target: target.name,
      events: STREAM_EVENTS,
      stored,
      eventsPerSecond: seconds ? Math.round(STREAM_EVENTS / seconds) : null,
      seconds: seconds === null ? null : Number(seconds.toFixed(2)),
      mbPerSecond: seconds ? Number((bytes / 2 ** 20 / seconds).toFixed(1)) : null,
      connections: feeder.state.connections,
      rssMb,
    };
  } finally {
    await target.stop();
    await feeder.close();
  }
}

/** Handler runs finished so far (every plugin and outcome), from the server's metrics text. */
function handlerRunsOf(metricsText) {
  return [...metricsText.matchAll(/^xaa_handler_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
}

/**
 * Backlog drain: DRAIN_DELIVERIES deliveries stored by a receiver without plugins (the backlog a
 * restart, a plugin added later, or a burst beyond what the dispatcher holds leaves), then, for
 * each round on a fresh copy of that store, the receiver with the no-op plugin started on it: the
 * events reach the dispatcher through claims from the store, not pushed from the commit that
 * stored them. Each round drains it twice, once as is and once with DISPATCH_PER_USER_ORDER (the
 * bench's deliveries are all for one subscribed user: one event at a time, the worst case). Rate:
 * handler runs over the time from the first read of the server's metrics (once it answers) until
 * its queue is empty, polled every 200 ms; CPU per event over the same time.
 */
const DRAIN_VARIANTS = [
  { scenario: 'backlog drain', env: {} },
  { scenario: 'backlog drain, per-user order', env: { DISPATCH_PER_USER_ORDER: 'true' } },
];

async function backlogDrain(tmp) {
  const base = path.join(tmp, 'backlog.db');
  const fill = await receiverTarget('receiver, SQLite (backlog fill)', `file:${base}`);
  let stored = 0;
  try {
    const r = await post32(fill, runId + 3, { amount: DRAIN_DELIVERIES });
    stored = r['2xx'];
  } finally {
    await fill.stop();
  }
  const perRound = DRAIN_VARIANTS.map(() => []);
  try {
    for (let round = 0; round < DRAIN_ROUNDS; round++) {
      for (const [v, variant] of DRAIN_VARIANTS.entries()) perRound[v].push(await drainOnce(base, path.join(tmp, `backlog-${round}-${v}.db`), variant));
    }
  } finally {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(base + suffix, { force: true });
  }
  return DRAIN_VARIANTS.map((variant, v) => {
    // A round whose queue did not empty before the deadline has no rate to report.
    const drained = perRound[v].filter((r) => r.drained);
    return {
      scenario: variant.scenario,
      target: 'receiver, SQLite + no-op handler (backlog drain)',
      env: variant.env,
      deliveries: stored,
      rounds: perRound[v],
      eventsPerSecond: drained.length ? Math.round(mean(drained.map((r) => r.eventsPerSecond ?? 0))) : null,
      cpuServerUs: drained.length && drained.every((r) => r.cpu) ? Math.round(mean(drained.map((r) => r.cpu.serverUs))) : null,
      undrainedRounds: perRound[v].length - drained.length,
    };
  });
}

/** One drain of a copy of the backlog store at `base`, by the receiver with the no-op plugin. */
async function drainOnce(base, file, variant) {
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(base + suffix)) fs.copyFileSync(base + suffix, file + suffix);
  const target = await startProcess(
    'receiver, SQLite + no-op handler (backlog drain)',
    ['dist/src/main.js', 'serve'],
    { DATABASE_URL: `file:${file}`, LOG_LEVEL: 'warn', ADMIN_TOKEN, HANDLERS: './bench/noop-plugin.mjs', DISPATCH_CONCURRENCY: '32', ...variant.env },
    '/healthz',
  );
  target.metrics = true;
  try {
    let text = await metricsOf(target);
    const first = { at: performance.now(), runs: handlerRunsOf(text), cpu: cpuSnapshot(target.child.pid, text) };
    const deadline = Date.now() + 600_000;
    while (!/^xaa_queue_depth 0$/m.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      text = await metricsOf(target);
    }
    const last = { at: performance.now(), runs: handlerRunsOf(text), cpu: cpuSnapshot(target.child.pid, text) };
    const events = last.runs - first.runs;
    const seconds = (last.at - first.at) / 1000;
    const cpu = cpuBetween(first.cpu, last.cpu);
    const us = (s) => (events > 0 ? Math.round((s / events) * 1e6) : null);
    const result = {
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : null,
      events,
      beforeFirstRead: first.runs,
      handled: last.runs,
      seconds: Number(seconds.toFixed(2)),
      cpu: cpu && { serverUs: us(cpu.server), threadsUs: Object.fromEntries(Object.entries(cpu.threads).map(([t, s]) => [t, us(s)])), machineIdlePercent: cpu.machineIdle === null ? null : Math.round(cpu.machineIdle * 100) },
      drained: /^xaa_queue_depth 0$/m.test(text),
    };
    process.stderr.write(`  ${variant.scenario}: ${result.eventsPerSecond} events/s (${events} events in ${result.seconds} s, ${first.runs} before the first read), CPU ${result.cpu?.serverUs} us an event\n`);
    return result;
  } finally {
    await target.stop();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
}

/**
 * PostgreSQL scale-out: the same 32 connections split over two receiver processes on one
 * database, while an `xaa worker` process dispatches the stored events to a no-op plugin.
 */
async function twoReceivers(pgTarget) {
  const second = await startProcess('receiver #2, PostgreSQL', ['dist/src/main.js', 'serve'], { DATABASE_URL: pgTarget.databaseUrl, LOG_LEVEL: 'warn' }, '/healthz');
  const worker = spawn(process.execPath, [...NODE_FLAGS, 'dist/src/main.js', 'worker'], {
    cwd: root,
    env: { PATH: process.env.PATH, X_CONSUMER_SECRET: SECRET, NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: pgTarget.databaseUrl, HANDLERS: './bench/noop-plugin.mjs', DISPATCH_CONCURRENCY: '32' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const one = await load(pgTarget, { kind: 'post', connections: 32 });
      const [a, b] = await Promise.all([load(pgTarget, { kind: 'post', connections: 16 }), load(second, { kind: 'post', connections: 16 })]);
      runs.push({ one: one.requests.average, two: a.requests.average + b.requests.average, p99: Math.max(a.latency.p99, b.latency.p99), p99one: one.latency.p99, ok: a['2xx'] + b['2xx'] + one['2xx'] });
      process.stderr.write(`  PostgreSQL x32: 1 receiver ${Math.round(one.requests.average)} req/s, 2 receivers ${Math.round(a.requests.average + b.requests.average)} req/s\n`);
    }
    const avg = (xs) => Math.round(xs.reduce((x, y) => x + y, 0) / xs.length);
    return {
      scenario: 'PostgreSQL scale-out, POST x32',
      oneReceiver: avg(runs.map((r) => r.one)),
      twoReceivers: avg(runs.map((r) => r.two)),
      p99msOne: Math.max(...runs.map((r) => r.p99one)),
      p99msTwo: Math.max(...runs.map((r) => r.p99)),
      ok2xx: runs.reduce((x, r) => x + r.ok, 0),
      workerDispatching: worker.exitCode === null,
      ...(await eventStates(pgTarget.databaseUrl)),
    };
  } finally {
    await new Promise((r) => { if (worker.exitCode !== null) return r(); worker.once('exit', r); worker.kill('SIGTERM'); });
    await second.stop();
  }
}

/** How many stored events the worker had dispatched when the load stopped. */
async function eventStates(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query("SELECT count(*)::int AS stored, count(*) FILTER (WHERE state = 'done')::int AS done FROM events");
  await client.end();
  return { eventsStored: rows[0].stored, eventsDispatched: rows[0].done };
}

function residentMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The store's size on disk: the database file and its write-ahead log. */
function fileBytes(file) {
  let bytes = 0;
  for (const f of [file, `${file}-wal`]) if (fs.existsSync(f)) bytes += fs.statSync(f).size;
  return bytes;
}

const mean = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;

/** The long run: memory and the store's size over LONG_EVENTS deliveries, and the rate as it grows. */
async function longRun(tmp) {
  const file = path.join(tmp, 'long.db');
  const url = `file:${file}`;
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  const target = await startProcess('receiver, SQLite (long run)', ['dist/src/main.js', 'serve'], { DATABASE_URL: url, LOG_LEVEL: 'warn' }, '/healthz');
  const samples = [];
  let baseline;
  let endVsFresh;
  try {
    // (a) again, driven for a few seconds after each step: this shared machine's speed drifts over
    // the many minutes of the long run, so each step's rate is also given against (a)'s just after it.
    baseline = await startProcess('(a) express.raw verify-only (long run)', ['bench/baselines/express-raw.mjs'], {}, '/webhook?crc_token=x');
    let stored = 0;
    while (stored < LONG_EVENTS) {
      const amount = Math.min(LONG_STEP, LONG_EVENTS - stored);
      const r = await post32(target, runId + 1, { amount });
      stored += r['2xx'];
      const storeBytes = fileBytes(file);
      const rssMb = residentMb(target.child.pid);
      const a = await post32(baseline, runId + 2, { duration: LONG_BASELINE_SECONDS });
      const requestsPerSecond = Math.round(r.requests.average);
      const aRequestsPerSecond = Math.round(a.requests.average);
      const sample = {
        stored,
        requestsPerSecond,
        aRequestsPerSecond,
        ratioToA: aRequestsPerSecond > 0 ? Number((requestsPerSecond / aRequestsPerSecond).toFixed(2)) : null,
        p99ms: r.latency.p99,
        rssMb,
        storeMb: Math.round(storeBytes / 2 ** 20),
        bytesPerDelivery: Math.round(storeBytes / stored),
        non2xx: r.non2xx + r.errors + r.timeouts,
      };
      samples.push(sample);
      process.stderr.write(`  long run: ${sample.stored} stored, ${sample.requestsPerSecond} req/s ((a) just after: ${aRequestsPerSecond}, ${sample.ratioToA}x), p99 ${sample.p99ms} ms, RSS ${sample.rssMb} MB, store ${sample.storeMb} MB (${sample.bytesPerDelivery} B/delivery)\n`);
      if (r['2xx'] === 0) break;
    }
    await baseline.stop();
    baseline = undefined;
    endVsFresh = await endAgainstFreshStore(tmp, target);
  } finally {
    await target.stop();
    await baseline?.stop();
  }
  const first = samples[0];
  const last = samples.at(-1);
  // Memory growth from the first sample (after warm-up) to the last; rate at the first vs the last step.
  return {
    scenario: 'long run',
    events: LONG_EVENTS,
    samples,
    rssGrowthPercent: first && last ? Math.round(((last.rssMb - first.rssMb) / first.rssMb) * 100) : null,
    rateAtLastVsFirst: first && last ? Number((last.requestsPerSecond / first.requestsPerSecond).toFixed(2)) : null,
    // The same, each step's rate taken against (a)'s just after it (the machine's drift taken out):
    // the last step's over the first's, and the mean of the last three over that of the first three
    // (one 4 s probe of (a) is noisy itself).
    ratioToAAtLastVsFirst: first?.ratioToA && last?.ratioToA ? Number((last.ratioToA / first.ratioToA).toFixed(2)) : null,
    ratioToALastThreeVsFirstThree: samples.length >= 6 && samples.every((x) => x.ratioToA) ? Number((mean(samples.slice(-3).map((x) => x.ratioToA)) / mean(samples.slice(0, 3).map((x) => x.ratioToA))).toFixed(2)) : null,
    bytesPerDelivery: last ? last.bytesPerDelivery : null,
    endVsFresh,
  };
}

/**
 * The long run's receiver on its full store against the same receiver on an empty store, driven
 * in alternating rounds of `duration` s in the same minutes: the store's size is then the only
 * difference between them, not the machine's drift over the long run (the fresh receiver is
 * warmed up first, as the long-run one is).
 */
async function endAgainstFreshStore(tmp, full) {
  const file = path.join(tmp, 'long-fresh.db');
  const url = `file:${file}`;
  execFileSync(process.execPath, ['scripts/prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  const fresh = await startProcess('receiver, SQLite (empty store)', ['dist/src/main.js', 'serve'], { DATABASE_URL: url, LOG_LEVEL: 'warn' }, '/healthz');
  const post = { connections: 32, kind: 'post' };
  const perRound = { full: [], fresh: [] };
  try {
    await load(fresh, post);
    for (let round = 0; round < LONG_END_ROUNDS; round++) {
      const order = round % 2 === 0 ? [['full', full], ['fresh', fresh]] : [['fresh', fresh], ['full', full]];
      for (const [key, t] of order) perRound[key].push(Math.round((await load(t, post)).requests.average));
    }
  } finally {
    await fresh.stop();
  }
  const result = {
    rounds: LONG_END_ROUNDS,
    fullRequestsPerSecond: perRound.full,
    freshRequestsPerSecond: perRound.fresh,
    ratio: Number((mean(perRound.full) / mean(perRound.fresh)).toFixed(2)),
  };
  process.stderr.write(`  long run, its full store against an empty one in alternating rounds: ${perRound.full.join('/')} vs ${perRound.fresh.join('/')} req/s, ${result.ratio}x\n`);
  return result;
}

async function storedDeliveries(target) {
  if (!target.databaseUrl) return null;
  if (target.databaseUrl.startsWith('file:')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(target.databaseUrl.slice(5), { readonly: true });
    const n = db.prepare('SELECT count(*) AS n FROM deliveries').get().n;
    db.close();
    return n;
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  const { rows } = await client.query('SELECT count(*)::int AS n FROM deliveries');
  await client.end();
  return rows[0].n;
}

async function main() {
  if (!fs.existsSync(path.join(root, 'dist/src/main.js'))) throw new Error('run npm run build first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xaa-bench-'));
  const targets = [
    await startProcess('(a) express.raw verify-only', ['bench/baselines/express-raw.mjs'], {}, '/webhook?crc_token=x'),
    await startProcess('(b) node:http verify-only', ['bench/baselines/node-http.mjs'], {}, '/webhook?crc_token=x'),
    await receiverTarget('receiver, SQLite', `file:${path.join(tmp, 'bench.db')}`),
  ];
  if (only !== 'stream') targets.push(await pluginTarget(tmp), await pluginTarget(tmp, PLUGIN_TARGET_SINGLE_THREADED_GC, SINGLE_THREADED_GC));
  if (only === 'stream') for (const t of targets.splice(0, 2)) await t.stop();
  let pgDb;
  if (pgUrl) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    pgDb = `xaa_bench_${process.pid}`;
    await admin.query(`CREATE DATABASE ${pgDb}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.pathname = `/${pgDb}`;
    targets.push(await receiverTarget('receiver, PostgreSQL', url.toString()));
  }

  const results = [];
  try {
    for (const scenario of scenarios) {
      const inScenario = targets.filter((t) => !t.scenarios || t.scenarios.includes(scenario.name));
      const runs = new Map(inScenario.map((t) => [t.name, []]));
      for (let round = 0; round < rounds; round++) {
        // Alternate the order each round so that no target always runs on a warmer machine.
        const order = round % 2 === 0 ? inScenario : [...inScenario].reverse();
        for (const target of order) {
          const cpuBefore = cpuSnapshot(target.child.pid, target.metrics ? await metricsOf(target) : undefined);
          const r = await load(target, scenario);
          const loadEnded = Date.now();
          runs.get(target.name).push(r);
          let drained = '';
          if (target.drainedAfterMs) {
            target.drainedAfterMs.push(await drain(target, loadEnded));
            drained = `, queue drained ${target.drainedAfterMs.at(-1)} ms after the load`;
          }
          // After the drain: the work the deliveries caused, dispatch included.
          r.cpu = cpuBetween(cpuBefore, cpuSnapshot(target.child.pid, target.metrics ? await metricsOf(target) : undefined));
          r.delivered = r['2xx'];
          process.stderr.write(`  ${scenario.name.padEnd(10)} ${target.name.padEnd(34)} ${Math.round(r.requests.average)} req/s p99 ${r.latency.p99} ms${drained}\n`);
        }
      }
      for (const target of inScenario) {
        const rs = runs.get(target.name);
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        results.push({
          scenario: scenario.name,
          target: target.name,
          requestsPerSecond: Math.round(rs.reduce((s, r) => s + r.requests.average, 0) / rs.length),
          perRound: rs.map((r) => Math.round(r.requests.average)),
          p50ms: median(rs.map((r) => r.latency.p50)),
          p99ms: median(rs.map((r) => r.latency.p99)),
          non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
          errors: rs.reduce((s, r) => s + r.errors + r.timeouts, 0),
          ok2xx: rs.reduce((s, r) => s + r['2xx'], 0),
          nodeFlags: target.nodeFlags,
          cpu: cpuPerDelivery(rs),
        });
        if (target.drainedAfterMs) {
          const drained = target.drainedAfterMs.splice(0);
          Object.assign(results.at(-1), { dispatching: true, queueDrainedAfterMs: Math.max(...drained) });
          // Dispatch lag over its POST x32 rounds (its first scenario), from the server's own
          // histogram, which counts from the server's start.
          if (scenario.name === 'POST x32') {
            const metrics = await metricsOf(target);
            Object.assign(results.at(-1), {
              lagP50ms: histogramQuantile(metrics, 'xaa_dispatch_lag_seconds', 0.5),
              lagP99ms: histogramQuantile(metrics, 'xaa_dispatch_lag_seconds', 0.99),
            });
          }
        }
      }
    }
    const stream = await streamIntake(tmp);
    process.stderr.write(`  stream intake: ${stream.eventsPerSecond} events/s (${stream.stored} of ${stream.events} stored in ${stream.seconds} s)\n`);
    results.push(stream);
    if (only !== 'stream') {
      results.push(...(await backlogDrain(tmp)));
      if (LONG_EVENTS > 0) results.push(await longRun(tmp));
      const pgTarget = targets.find((t) => t.databaseUrl?.startsWith('postgres'));
      if (pgTarget) results.push(await twoReceivers(pgTarget));
    }
    for (const target of targets) {
      const stored = await storedDeliveries(target);
      if (stored !== null) {
        let acknowledged = results.filter((r) => r.target === target.name && r.scenario.startsWith('POST')).reduce((s, r) => s + r.ok2xx, 0);
        // The scale-out runs write to the same PostgreSQL database.
        if (target.databaseUrl.startsWith('postgres')) acknowledged += results.find((r) => r.twoReceivers !== undefined)?.ok2xx ?? 0;
        results.push({ scenario: 'stored check', target: target.name, acknowledged, stored });
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    if (pgDb) {
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
      await admin.end();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // Table with ratios against baseline (a) in the same scenario.
  const lines = ['| scenario | server | req/s | p50 ms | p99 ms | ratio to (a) | non-2xx |', '|---|---|---|---|---|---|---|'];
  for (const r of results.filter((x) => x.requestsPerSecond !== undefined)) {
    const base = results.find((x) => x.scenario === r.scenario && x.target.startsWith('(a)'));
    lines.push(`| ${r.scenario} | ${r.target} | ${r.requestsPerSecond} | ${r.p50ms} | ${r.p99ms} | ${base ? (r.requestsPerSecond / base.requestsPerSecond).toFixed(2) : '-'} | ${r.non2xx + r.errors} |`);
  }
  for (const r of results.filter((x) => x.scenario === 'stream intake')) {
    const webhook = results.find((x) => x.scenario === 'POST x32' && x.target === 'receiver, SQLite');
    lines.push(
      `\nstream intake, ${r.target}: ${r.eventsPerSecond} events/s (${r.stored} of ${r.events} one-event lines stored in ${r.seconds} s, ${r.mbPerSecond} MiB/s, RSS ${r.rssMb} MB)` +
        (webhook ? `; webhook intake in the same run (POST x32, one delivery each): ${webhook.requestsPerSecond} req/s` : ''),
    );
  }
  for (const r of results.filter((x) => x.dispatching)) {
    const plain = results.find((x) => x.scenario === r.scenario && x.target === 'receiver, SQLite');
    const a = results.find((x) => x.scenario === r.scenario && x.target.startsWith('(a)'));
    if (plain) lines.push(`\n${r.scenario}, ${r.target}, dispatching in-server: ${r.requestsPerSecond} req/s, ${(r.requestsPerSecond / plain.requestsPerSecond).toFixed(2)}x the same receiver without plugins (${plain.requestsPerSecond} req/s)`);
    if (plain && a) {
      const each = r.perRound.map((x, i) => `${(x / plain.perRound[i]).toFixed(2)}x / ${(x / a.perRound[i]).toFixed(2)}x`);
      lines.push(`  each round, to the receiver without plugins / to (a): ${each.join(', ')}`);
    }
    if (r.lagP50ms !== undefined) lines.push(`dispatch lag (receive -> handler start), no-op handler, over its ${r.perRound.length} run(s): p50 ${r.lagP50ms?.toFixed(1)} ms, p99 ${r.lagP99ms?.toFixed(1)} ms`);
    lines.push(`queue drained at most ${r.queueDrainedAfterMs} ms after the load stopped`);
  }
  for (const r of results.filter((x) => x.scenario.startsWith('backlog drain'))) {
    const intake = results.find((x) => x.scenario === 'POST x32' && x.target === PLUGIN_TARGET);
    lines.push(
      `\n${r.scenario}, ${r.deliveries} deliveries stored without plugins, then drained by the receiver with the no-op plugin (claimed from the store${r.env.DISPATCH_PER_USER_ORDER ? '; DISPATCH_PER_USER_ORDER=true, all for one user' : ''}): ${r.eventsPerSecond} events/s (rounds ${r.rounds.map((x) => x.eventsPerSecond).join(', ')}${r.undrainedRounds ? `; ${r.undrainedRounds} not drained within 600 s, left out` : ''}), CPU ${r.cpuServerUs} us an event` +
        (intake ? `; the same receiver's webhook intake in this run (POST x32, events pushed from their commit): ${intake.requestsPerSecond} req/s, CPU ${intake.cpu?.serverUs} us a delivery` : ''),
    );
  }
  for (const r of results.filter((x) => x.scenario === 'long run')) {
    lines.push(`\nlong run, ${r.events} deliveries into SQLite at 32 connections (stored: req/s, (a) just after and the ratio to it, p99 ms, RSS MB, store MB, bytes per delivery):`);
    for (const x of r.samples) lines.push(`  ${x.stored}: ${x.requestsPerSecond} req/s, (a) ${x.aRequestsPerSecond} (${x.ratioToA}x), p99 ${x.p99ms}, RSS ${x.rssMb}, store ${x.storeMb}, ${x.bytesPerDelivery} B`);
    lines.push(`  RSS growth first -> last sample: ${r.rssGrowthPercent}%; rate at the last step / first step: ${r.rateAtLastVsFirst}; against (a) at each step: ${r.ratioToAAtLastVsFirst} (last three / first three: ${r.ratioToALastThreeVsFirstThree})`);
    if (r.endVsFresh) {
      const e = r.endVsFresh;
      lines.push(`  at the end, its ${r.samples.at(-1)?.stored} stored deliveries against an empty store, ${e.rounds} alternating rounds of ${duration} s: ${e.fullRequestsPerSecond.join('/')} vs ${e.freshRequestsPerSecond.join('/')} req/s, ${e.ratio}x`);
    }
  }
  for (const r of results.filter((x) => x.twoReceivers !== undefined)) {
    lines.push(`\nPostgreSQL, 32 connections: 1 receiver ${r.oneReceiver} req/s (p99 ${r.p99msOne} ms), 2 receiver processes ${r.twoReceivers} req/s (p99 ${r.p99msTwo} ms): ${(r.twoReceivers / r.oneReceiver).toFixed(2)}x; an xaa worker dispatching meanwhile: ${r.eventsDispatched} of ${r.eventsStored} events done when the load stopped`);
  }
  for (const r of results.filter((x) => x.scenario === 'stored check')) {
    lines.push(`\n${r.target}: ${r.acknowledged} deliveries acknowledged with 2xx, ${r.stored} stored`);
  }
  const withCpu = results.filter((x) => x.scenario === 'POST x32' && x.cpu);
  if (withCpu.length) {
    lines.push('\nCPU per delivery at POST x32, µs (server process, by thread where it reports them; the load generator, this process; the machine\'s idle share):');
    for (const r of withCpu) {
      const threads = Object.entries(r.cpu.threadsUs).map(([t, us]) => `${t} ${us}`).join(', ');
      lines.push(`  ${r.target}: ${r.cpu.serverUs}${threads ? ` (${threads})` : ''}; load generator ${r.cpu.loadGeneratorUs}; idle ${r.cpu.machineIdlePercent}%`);
    }
  }
  const table = lines.join('\n');
  console.log(`\nmachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${quick ? 'quick' : 'full'} run, ${rounds} round(s) of ${duration}s\n`);
  console.log(table);
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    mode: only ? `only-${only}` : quick ? 'quick' : 'full',
    // The servers' flags unless a result says otherwise (its own nodeFlags).
    nodeFlags: NODE_FLAGS,
    durationSeconds: duration,
    rounds,
    results,
  };
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const file = path.join(root, 'bench/results', `${out.date.replace(/[:.]/g, '-')}-${out.mode}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwritten: ${path.relative(root, file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
