import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/index.js';

/** A real logger whose JSON lines are pushed onto `lines`, for tests that read what was logged. */
export function capturingLogger(lines: string[], options: { level?: string; secrets?: string[] } = {}): Logger {
  return createLogger({
    level: options.level ?? 'warn',
    env: 'test',
    ...(options.secrets ? { secrets: options.secrets } : {}),
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
}
