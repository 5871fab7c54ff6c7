import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { osThreadId, threadCpuSeconds, trackThread } from '../../src/runtime/thread-cpu.js';

// A thread that reports its operating-system id, spins when told to until it has had `seconds` of
// CPU (by its own count, so a busy machine only makes it take longer), and exits when told to (not
// on its own: a thread that has exited can no longer be read, and the test reads it after the spin).
const SPINNER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const cpu = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
parentPort.postMessage(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()));
parentPort.once('message', () => {
  const end = cpu() + workerData.seconds;
  const deadline = Date.now() + 20_000;
  while (cpu() < end && Date.now() < deadline);
  parentPort.postMessage('done');
  parentPort.once('message', () => parentPort.close());
});
`;

/** This thread's own CPU seconds, read directly (to spin for a given amount of CPU). */
const ownCpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;

describe.runIf(process.platform === 'linux')('thread CPU by role', () => {
  it("counts a thread's CPU under its role, and keeps it after the thread exits", async () => {
    const worker = new Worker(SPINNER, { eval: true, workerData: { seconds: 0.2 } });
    const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
    expect(tid).not.toBe(osThreadId());
    trackThread('dispatch', tid, worker);
    const start = threadCpuSeconds().get('dispatch') ?? 0;
    const began = process.hrtime.bigint();
    worker.postMessage('go');
    await new Promise((resolve) => worker.once('message', resolve));
    const spun = (threadCpuSeconds().get('dispatch') ?? 0) - start;
    const wall = Number(process.hrtime.bigint() - began) / 1e9;
    // It had 0.2 s of CPU, and one thread cannot have had more CPU than the wall time it took.
    expect(spun).toBeGreaterThanOrEqual(0.2);
    expect(spun).toBeLessThanOrEqual(wall + 0.01);
    const otherBefore = threadCpuSeconds().get('other')!;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('exit');
    await exited;
    const after = threadCpuSeconds();
    expect(after.get('dispatch')! - start).toBeGreaterThanOrEqual(spun);
    expect(after.get('other')!).toBeGreaterThanOrEqual(otherBefore);
  });

  it('tracks the calling thread, whose own work shows under its role', () => {
    const tid = osThreadId();
    expect(Number.isInteger(tid)).toBe(true);
    trackThread('main', tid);
    const start = threadCpuSeconds().get('main')!;
    const end = ownCpu() + 0.1;
    const deadline = Date.now() + 20_000;
    while (ownCpu() < end && Date.now() < deadline);
    expect(threadCpuSeconds().get('main')! - start).toBeGreaterThanOrEqual(0.1);
  });
});
