import { inspect } from 'node:util';
import type { AnyXEvent, EventFormat, ParsedXEvent } from '../events/index.js';
import { eventData } from '../normalize/event-data/index.js';
import type { QueuedEvent } from '../store/index.js';

/**
 * The event handed to handlers, with `payload`, `side` and `data` parsed from the stored JSON
 * when a handler first reads them (then kept: every read, and every handler of the event, sees
 * the same objects). A handler that only looks at `type` or `forUserId`, or none at all, costs no
 * parse: parsing a ~2 KB post and deriving its fields was the largest share of the dispatcher's
 * own time per event, most of it in garbage collection. The three are ordinary enumerable
 * properties to the reader (spread, JSON.stringify, structuredClone and logging see their
 * values) and may be assigned.
 */
export function lazyEvent(e: QueuedEvent): AnyXEvent {
  let payload: unknown;
  let side: unknown;
  let data: unknown;
  let parsedPayload = false;
  let parsedSide = false;
  let derived = false;
  const event = {
    id: e.dedupeKey,
    type: e.type,
    action: e.action,
    forUserId: e.forUserId,
    format: e.format as EventFormat,
    occurredAt: e.occurredAt,
  } as Record<string, unknown>;
  Object.defineProperties(event, {
    payload: {
      enumerable: true,
      get: () => {
        if (!parsedPayload) {
          payload = JSON.parse(e.payload);
          parsedPayload = true;
        }
        return payload;
      },
      set: (value: unknown) => {
        payload = value;
        parsedPayload = true;
      },
    },
    side: {
      enumerable: true,
      get: () => {
        if (!parsedSide) {
          side = e.sideObjects ? JSON.parse(e.sideObjects) : { source: 'unknown' };
          parsedSide = true;
        }
        return side;
      },
      set: (value: unknown) => {
        side = value;
        parsedSide = true;
      },
    },
    data: {
      enumerable: true,
      get: () => {
        if (!derived) {
          data = eventData(event as unknown as ParsedXEvent);
          derived = true;
        }
        return data;
      },
      set: (value: unknown) => {
        data = value;
        derived = true;
      },
    },
    // console.log(event) shows the values, not [Getter/Setter].
    [inspect.custom]: {
      enumerable: false,
      value: (depth: number, options: object) => inspect({ ...event }, { ...options, depth }),
    },
  });
  return event as unknown as AnyXEvent;
}
