import type { Logger } from '../log/index.js';
import { systemMessageText } from './x-messages.js';

/**
 * What a line of the stream is: empty (or only spaces and tabs) a keep-alive; without `"data"`
 * an X system message (`{"errors": [...]}`, such as an operational disconnect), logged and not
 * stored; else an event, stored through the inbox.
 */
export type LineKind = 'keep-alive' | 'system' | 'event';

export function lineKind(line: Buffer): LineKind {
  if (line.length === 0 || isBlank(line)) return 'keep-alive';
  if (!line.includes('"data"')) return 'system';
  return 'event';
}

/** The warning for a system message: what its errors say (bounded), and its size. */
export function logSystemMessage(logger: Logger, line: Buffer): void {
  logger.warn({ message: systemMessageText(line), bytes: line.length }, 'stream: a message that is not an event (X system message); not stored');
}

function isBlank(line: Buffer): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09) return false;
  return true;
}
