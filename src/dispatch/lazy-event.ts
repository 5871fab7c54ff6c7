import { inspect } from 'node:util';
import type { AnyXEvent, EventFormat, ParsedXEvent } from '../events/index.js';
import { eventData } from '../normalize/event-data/index.js';
import type { QueuedEvent } from '../store/index.js';

type Field = 'payload' | 'side' | 'data';

/**
 * The event handed to handlers, with `payload`, `side` and `data` parsed from the stored JSON
 * when a handler first reads them. A handler that only looks at `type` or `forUserId`, or none
 * at all, costs no parse: parsing a ~2 KB post and deriving its fields was the largest share of
 * the dispatcher's own time per event, most of it in garbage collection.
 *
 * On first read (or assignment) each of the three becomes an ordinary data property, so the
 * event then behaves as a plain object: every handler of the event sees the same objects, and
 * spread, JSON.stringify, structuredClone, delete and defineProperty work as on any property.
 * `data` is always derived from the stored event, never from what a handler did to `payload` or
 * `side` before reading it (handlers of several plugins share the event).
 */
export function lazyEvent(e: QueuedEvent): AnyXEvent {
  const parsePayload = (): unknown => JSON.parse(e.payload);
  const parseSide = (): unknown => (e.sideObjects ? JSON.parse(e.sideObjects) : { source: 'unknown' });
  // Parsed but not handed out yet: `data` may derive from these without parsing again.
  let untouchedPayload: unknown;
  let untouchedSide: unknown;
  // The fields that are not parsed, as stored: `data` derives from these, not from `event`.
  const stored = {
    id: e.dedupeKey,
    type: e.type,
    action: e.action,
    forUserId: e.forUserId,
    format: e.format as EventFormat,
    occurredAt: e.occurredAt,
  };
  const event: Record<string, unknown> = { ...stored };

  // Replaces the accessor with a data property holding `value`. Were the event frozen or sealed
  // before, the value is kept here instead, so that every read still returns the same object.
  const kept = new Map<Field, unknown>();
  const settle = (field: Field, value: unknown): unknown => {
    kept.set(field, value);
    if (Object.getOwnPropertyDescriptor(event, field)?.configurable) {
      Object.defineProperty(event, field, { value, writable: true, enumerable: true, configurable: true });
    }
    return value;
  };
  const derive = (): unknown => {
    const payload = untouchedPayload ?? parsePayload();
    const side = untouchedSide ?? parseSide();
    return eventData({ ...stored, payload, side } as ParsedXEvent);
  };
  const accessor = (field: Field, read: () => unknown): PropertyDescriptor => ({
    enumerable: true,
    configurable: true,
    get: () => (kept.has(field) ? kept.get(field) : read()),
    set: (value: unknown) => {
      if (Object.isFrozen(event)) throw new TypeError(`Cannot assign to read only property '${field}' of object`);
      settle(field, value);
    },
  });

  Object.defineProperties(event, {
    payload: accessor('payload', () => {
      const value = untouchedPayload ?? parsePayload();
      untouchedPayload = undefined;
      return settle('payload', value);
    }),
    side: accessor('side', () => {
      const value = untouchedSide ?? parseSide();
      untouchedSide = undefined;
      return settle('side', value);
    }),
    data: accessor('data', () => {
      // Parse now what `data` needs and keep it for `payload`/`side` if they are read later.
      if (Object.getOwnPropertyDescriptor(event, 'payload')?.get) untouchedPayload ??= parsePayload();
      if (Object.getOwnPropertyDescriptor(event, 'side')?.get) untouchedSide ??= parseSide();
      return settle('data', derive());
    }),
    // console.log(event) shows the values, not [Getter/Setter].
    [inspect.custom]: {
      enumerable: false,
      value: (depth: number, options: object) => inspect({ ...event }, { ...options, depth }),
    },
  });
  return event as unknown as AnyXEvent;
}
