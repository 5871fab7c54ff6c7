import type { ParsedXEvent } from '../../events/index.js';

/** What an envelope parser returns for one delivery. */
export interface ParsedDelivery {
  format: 'aaa' | 'xaa' | 'filtered_stream' | 'unknown';
  events: ParsedXEvent[];
}
