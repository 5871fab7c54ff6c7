import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { osThreadId, threadCpuSeconds, trackThread } from '../../src/runtime/thread-cpu.js';

// A thread that reports its operating-system id, then spins for `ms` and exits.
const SPINNER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.postMessage(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()));
parentPort.once('message', () => {
  const end = Date.now() + workerData.ms;
  while (Date.now() < end);
  parentPort.postMessage('done');
});
`;

describe.runIf(process.platform === 'linux')('thread CPU by role', () => {
  it("counts a thread's CPU under its role, and keeps it after the thread exits", async () => {
    const worker = new Worker(SPINNER, { eval: true, workerData: { ms: 300 } });
    const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
    expect(tid).not.toBe(osThreadId());
    trackThread('dispatch', tid, worker);
    const start = threadCpuSeconds().get('dispatch') ?? 0;
    worker.postMessage('go');
    await new Promise((resolve) => worker.once('message', resolve));
    const spun = (threadCpuSeconds().get('dispatch') ?? 0) - start;
    // It spun for 300 ms of wall time; on a busy machine it may have had less of a CPU.
    expect(spun).toBeGreaterThan(0.1);
    expect(spun).toBeLessThan(1);
    const otherBefore = threadCpuSeconds().get('other')!;
    await new Promise((resolve) => worker.once('exit', resolve));
    const after = threadCpuSeconds();
    expect(after.get('dispatch')! - start).toBeGreaterThanOrEqual(spun);
    expect(after.get('other')!).toBeGreaterThanOrEqual(otherBefore);
  });

  it('tracks the calling thread, whose own work shows under its role', () => {
    const tid = osThreadId();
    expect(Number.isInteger(tid)).toBe(true);
    trackThread('main', tid);
    const start = threadCpuSeconds().get('main')!;
    const end = Date.now() + 150;
    while (Date.now() < end);
    expect(threadCpuSeconds().get('main')! - start).toBeGreaterThan(0.05);
  });
});
