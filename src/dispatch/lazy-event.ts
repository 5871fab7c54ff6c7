import { inspect } from 'node:util';
import type { AnyXEvent, EventFormat, ParsedXEvent } from '../events/index.js';
import { eventData } from '../normalize/event-data/index.js';
import { activityOf } from '../normalize/prepare.js';
import type { QueuedEvent } from '../store/index.js';
import { privateState } from '../runtime/private-state.js';

type Field = 'payload' | 'side' | 'data';

interface StoredFields {
  id: string;
  type: string;
  action: string | null;
  forUserId: string | null;
  format: EventFormat;
  occurredAt: Date | null;
}

interface LazyState {
  e: QueuedEvent;
  /** The fields that are not parsed, as stored: `data` derives from these, not from the event. */
  stored: StoredFields;
  /** Parsed but not handed out yet: `data` may derive from these without parsing again. */
  untouchedPayload: unknown;
  untouchedSide: unknown;
  /** Values of fields that became data properties, for reads through a frozen or sealed event. */
  kept: Partial<Record<Field, unknown>> | undefined;
}

const state = privateState<LazyState>(
  'payload, side and data of an event are parsed on first read through the event itself: not through a Proxy of it or a copy ' +
    'of its property descriptors. Read them on the event first, or copy it with { ...event }',
);

function storedFields(e: QueuedEvent): StoredFields {
  return {
    id: e.dedupeKey,
    type: e.type,
    action: e.action,
    forUserId: e.forUserId,
    format: e.format as EventFormat,
    occurredAt: e.occurredAt,
  };
}

type Activity = NonNullable<QueuedEvent['activity']>;

/** The event's activity, when it came with its delivery's body instead of the activity's text. */
const bodyActivity = (s: LazyState): Activity | undefined => (s.e.payload === null ? s.e.activity : undefined);

/**
 * Payload and side of an event that came with its delivery's body: parsed from the body (a fresh
 * parse each call). Of one parse, only one of the two is ever handed out: they can share objects
 * (an XAA payload that is the whole `data` holds the `filter` and `includes` its side holds), and
 * a handler must not see a change to one in the other, as with an event read from the store. A
 * body that no longer yields the activity gives the whole body as the payload, as the store's
 * read path does (inbox/activity.ts).
 */
function parseActivity(activity: Activity): { payload: unknown; side: unknown } {
  return (
    activityOf(activity.body, activity.index) ?? {
      payload: JSON.parse(Buffer.from(activity.body.buffer, activity.body.byteOffset, activity.body.byteLength).toString('utf8')),
      side: { source: 'unknown' },
    }
  );
}

function parsePayload(s: LazyState): unknown {
  const activity = bodyActivity(s);
  return activity ? parseActivity(activity).payload : JSON.parse(s.e.payload ?? 'null');
}

function parseSide(s: LazyState): unknown {
  const activity = bodyActivity(s);
  if (activity) return parseActivity(activity).side;
  return s.e.sideObjects ? JSON.parse(s.e.sideObjects) : { source: 'unknown' };
}

/**
 * Replaces the accessor with a data property holding `value`. Were the event frozen or sealed
 * before, the value is kept in its state instead, so that every read still returns the same object.
 */
function settle(event: object, s: LazyState, field: Field, value: unknown): unknown {
  (s.kept ??= {})[field] = value;
  if (Object.getOwnPropertyDescriptor(event, field)?.configurable) {
    Object.defineProperty(event, field, { value, writable: true, enumerable: true, configurable: true });
  }
  return value;
}

const first: Record<Field, (event: object, s: LazyState) => unknown> = {
  payload(event, s) {
    const value = s.untouchedPayload ?? parsePayload(s);
    s.untouchedPayload = undefined;
    return settle(event, s, 'payload', value);
  },
  side(event, s) {
    const value = s.untouchedSide ?? parseSide(s);
    s.untouchedSide = undefined;
    return settle(event, s, 'side', value);
  },
  data(event, s) {
    const activity = bodyActivity(s);
    if (activity) {
      // One parse of the body for `data`; its payload is kept for a later read of `payload`, its
      // side is not (see parseActivity).
      const parsed = parseActivity(activity);
      if (Object.getOwnPropertyDescriptor(event, 'payload')?.get) s.untouchedPayload ??= parsed.payload;
      const payload = s.untouchedPayload ?? parsed.payload;
      return settle(event, s, 'data', eventData({ ...s.stored, payload, side: parsed.side } as ParsedXEvent));
    }
    // Parse now what `data` needs and keep it for `payload`/`side` if they are read later.
    if (Object.getOwnPropertyDescriptor(event, 'payload')?.get) s.untouchedPayload ??= parsePayload(s);
    if (Object.getOwnPropertyDescriptor(event, 'side')?.get) s.untouchedSide ??= parseSide(s);
    const payload = s.untouchedPayload ?? parsePayload(s);
    const side = s.untouchedSide ?? parseSide(s);
    return settle(event, s, 'data', eventData({ ...s.stored, payload, side } as ParsedXEvent));
  },
};

// One set of accessor functions for every event (the reason: runtime/private-state.ts).
function accessor(field: Field): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: object) {
      const event = state.owner(this);
      const s = state.read(event);
      return s.kept && field in s.kept ? s.kept[field] : first[field](event, s);
    },
    set(this: object, value: unknown) {
      const event = state.owner(this);
      if (Object.isFrozen(event)) throw new TypeError(`Cannot assign to read only property '${field}' of object`);
      settle(event, state.read(event), field, value);
    },
  };
}

const ACCESSORS: PropertyDescriptorMap = {
  payload: accessor('payload'),
  side: accessor('side'),
  data: accessor('data'),
  // console.log(event) shows the values, not [Getter/Setter].
  [inspect.custom]: {
    enumerable: false,
    value(this: object, depth: number, options: object) {
      return inspect({ ...this }, { ...options, depth });
    },
  },
};

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
 * `side` before reading it (handlers of several plugins share the event). The one difference
 * from a plain object: a field not read yet cannot be read through a Proxy of the event or a
 * copy of its property descriptors (a TypeError says so); `{ ...event }` is a plain copy.
 */
export function lazyEvent(e: QueuedEvent): AnyXEvent {
  // Two literals rather than a spread of one: a spread's result, given the private state, was
  // again kept alive through young-generation collections (measured); a literal is not.
  const stored = storedFields(e);
  const event = state.attach(storedFields(e), { e, stored, untouchedPayload: undefined, untouchedSide: undefined, kept: undefined });
  Object.defineProperties(event, ACCESSORS);
  return event as unknown as AnyXEvent;
}
