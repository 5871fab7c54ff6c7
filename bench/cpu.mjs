// Where the CPU goes during a load (Linux: /proc): the server process's CPU, by thread role
// where the server reports them (xaa_thread_cpu_seconds_total), the load generator's (this
// process), and the machine's idle share. Elsewhere the snapshot is null and nothing is reported.
import fs from 'node:fs';

/** Seconds on a CPU of every thread of a process (sum of /proc/<pid>/task/<tid>/schedstat). */
function processSeconds(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread exited meanwhile.
    }
  }
  return ns / 1e9;
}

/** Busy and idle jiffies of the whole machine, from /proc/stat's first line. */
function machineTicks() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/** The server's CPU seconds by thread role, from its metrics text; {} when it reports none. */
function threadsOf(metricsText) {
  const threads = {};
  for (const m of metricsText?.matchAll(/^xaa_thread_cpu_seconds_total\{thread="([^"]+)"\} ([0-9.e+-]+)$/gm) ?? []) threads[m[1]] = Number(m[2]);
  return threads;
}

/** A snapshot to diff: `metricsText` is the server's /metrics (or undefined for a baseline). */
export function cpuSnapshot(pid, metricsText) {
  if (process.platform !== 'linux') return null;
  const own = process.cpuUsage();
  return { server: processSeconds(pid), threads: threadsOf(metricsText), loadGenerator: (own.user + own.system) / 1e6, machine: machineTicks() };
}

/** CPU seconds between two snapshots: the server's, by thread, the load generator's; idle share. */
export function cpuBetween(a, b) {
  if (!a || !b) return null;
  const threads = {};
  for (const [role, seconds] of Object.entries(b.threads)) threads[role] = seconds - (a.threads[role] ?? 0);
  const total = b.machine.total - a.machine.total;
  return {
    server: b.server - a.server,
    threads,
    loadGenerator: b.loadGenerator - a.loadGenerator,
    machineIdle: total > 0 ? (b.machine.idle - a.machine.idle) / total : null,
  };
}

/** Per delivery, in µs, over several runs: { server, threads: {...}, loadGenerator }, and the mean idle share in %. */
export function cpuPerDelivery(runs) {
  const measured = runs.filter((r) => r.cpu && r.delivered > 0);
  if (measured.length === 0) return null;
  const delivered = measured.reduce((s, r) => s + r.delivered, 0);
  const us = (seconds) => Math.round((seconds / delivered) * 1e6);
  const threads = {};
  for (const r of measured) for (const [role, s] of Object.entries(r.cpu.threads)) threads[role] = (threads[role] ?? 0) + s;
  const idle = measured.map((r) => r.cpu.machineIdle).filter((x) => x !== null);
  return {
    serverUs: us(measured.reduce((s, r) => s + r.cpu.server, 0)),
    threadsUs: Object.fromEntries(Object.entries(threads).map(([role, s]) => [role, us(s)])),
    loadGeneratorUs: us(measured.reduce((s, r) => s + r.cpu.loadGenerator, 0)),
    machineIdlePercent: idle.length ? Math.round((idle.reduce((a, b) => a + b, 0) / idle.length) * 100) : null,
  };
}
