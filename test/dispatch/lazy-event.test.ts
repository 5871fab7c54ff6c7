// The event handed to handlers parses its payload and side objects when first read: it must read
// exactly like the event built eagerly from the same delivery, for every fixture type.
import { readdirSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lazyEvent } from '../../src/dispatch/lazy-event.js';
import { withData } from '../../src/normalize/event-data/index.js';
import { activitiesOf, prepareDelivery } from '../../src/normalize/prepare.js';
import type { ParsedXEvent } from '../../src/events/index.js';
import type { QueuedEvent } from '../../src/store/index.js';

const dir = new URL('../fixtures/deliveries/', import.meta.url);

/**
 * A delivery's events as the dispatcher gets them: claimed from the store (payload and side
 * objects as JSON text, read back from the body), or, with `pushed`, as the SQLite writer pushes
 * them from the commit (a delivery of one activity: the body and the activity's position, parsed
 * on first read; of several: their text, which the normalizer keeps for them).
 */
function queued(file: string, pushed = false): QueuedEvent[] {
  const body = readFileSync(new URL(file, dir));
  const d = prepareDelivery({ receivedAt: new Date(), body, contentType: 'application/json', userAgent: null, remoteAddr: null });
  const texts = activitiesOf(body);
  return d.events.map((e, i) => ({
    id: `ev${i}`,
    dedupeKey: e.dedupeKey,
    type: e.type,
    action: e.action ?? null,
    forUserId: e.forUserId ?? null,
    format: e.format,
    occurredAt: e.occurredAt ?? null,
    receivedAt: d.receivedAt,
    ...(!pushed
      ? { payload: texts[i]!.payload, sideObjects: texts[i]!.sideObjects }
      : e.payload === undefined
        ? { payload: null, sideObjects: null, activity: { body: d.body, index: e.activityIndex! } }
        : { payload: e.payload, sideObjects: e.sideObjects ?? null }),
  }));
}

function eager(e: QueuedEvent) {
  return withData({
    id: e.dedupeKey,
    type: e.type,
    action: e.action,
    forUserId: e.forUserId,
    format: e.format,
    occurredAt: e.occurredAt,
    payload: JSON.parse(e.payload!),
    side: e.sideObjects ? JSON.parse(e.sideObjects) : { source: 'unknown' },
  } as ParsedXEvent);
}

const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

/** Every object and array reachable from a value. */
function objectsIn(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value !== 'object' || value === null || into.has(value)) return into;
  into.add(value);
  for (const v of Object.values(value)) objectsIn(v, into);
  return into;
}

describe('the event handed to handlers', () => {
  it.each(fixtures)('reads like the eagerly built event: %s', (file) => {
    const events = queued(file);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      const lazy = lazyEvent(e);
      expect(lazy.data).toEqual(eager(e).data);
      expect({ ...lazyEvent(e) }).toEqual({ ...eager(e) });
      expect(JSON.parse(JSON.stringify(lazyEvent(e)))).toEqual(JSON.parse(JSON.stringify(eager(e))));
      expect(structuredClone(lazyEvent(e))).toEqual(eager(e));
      expect(Object.keys(lazyEvent(e)).sort()).toEqual(Object.keys(eager(e)).sort());
    }
  });

  it.each(fixtures)('pushed with its delivery body, reads exactly as when claimed from the store: %s', (file) => {
    const claimed = queued(file);
    const pushed = queued(file, true);
    expect(pushed).toHaveLength(claimed.length);
    pushed.forEach((p, i) => {
      const want = eager(claimed[i]!);
      // Each field alone first (each parses the body), then all from one event in both orders.
      expect(lazyEvent(p).payload).toStrictEqual(want.payload);
      expect(lazyEvent(p).side).toStrictEqual(want.side);
      expect(lazyEvent(p).data).toStrictEqual(want.data);
      const a = lazyEvent(p);
      expect([a.side, a.payload, a.data]).toStrictEqual([want.side, want.payload, want.data]);
      const b = lazyEvent(p);
      expect([b.data, b.payload, b.side]).toStrictEqual([want.data, want.payload, want.side]);
      expect(JSON.stringify(lazyEvent(p))).toBe(JSON.stringify(want));
      // As when read from the store, payload and side share no object, whichever is read first
      // and whether data was read before them: a change to one never shows in the other.
      for (const order of [['payload', 'side'], ['side', 'payload'], ['data', 'payload', 'side'], ['data', 'side', 'payload']] as const) {
        const event = lazyEvent(p);
        for (const field of order) void event[field];
        const inPayload = objectsIn(event.payload);
        expect([...objectsIn(event.side)].filter((o) => inPayload.has(o)), `${file} #${i} ${order.join(', ')}`).toEqual([]);
      }
    });
  });

  it.each([
    [
      'an XAA event of a type without mapping (its payload is the whole data, filter and includes too)',
      { data: { event_type: 'brand.new_thing', filter: { user_id: '2244994945' }, tag: 't', includes: { users: [{ id: '1' }] } } },
    ],
    [
      'a bare XAA dm.read (its payload holds the users map its side holds)',
      { data: { event_type: 'dm.read', filter: { user_id: '2244994945' }, payload: { id: '77', users: { '1': { data: { id: '1' } } } } } },
    ],
  ])('pushed with its body, %s: payload and side share no object, as when claimed', (_what, delivery) => {
    const body = Buffer.from(JSON.stringify(delivery));
    const d = prepareDelivery({ receivedAt: new Date(), body, contentType: 'application/json', userAgent: null, remoteAddr: null });
    expect(d.events).toHaveLength(1);
    const e = d.events[0]!;
    expect(e.payload).toBeUndefined();
    const base = { id: 'ev0', dedupeKey: e.dedupeKey, type: e.type, action: e.action ?? null, forUserId: e.forUserId ?? null, format: e.format, occurredAt: e.occurredAt ?? null, receivedAt: d.receivedAt };
    const [text] = activitiesOf(body);
    const want = eager({ ...base, payload: text!.payload, sideObjects: text!.sideObjects });
    const shared = objectsIn(want.side);
    expect([...objectsIn(want.payload)].some((o) => shared.has(o))).toBe(false);
    for (const order of [['payload', 'side'], ['side', 'payload'], ['data', 'payload', 'side'], ['data', 'side', 'payload']] as const) {
      const event = lazyEvent({ ...base, payload: null, sideObjects: null, activity: { body: d.body, index: 0 } });
      for (const field of order) void event[field];
      expect([event.payload, event.side, event.data]).toStrictEqual([want.payload, want.side, want.data]);
      const inPayload = objectsIn(event.payload);
      expect([...objectsIn(event.side)].filter((o) => inPayload.has(o)), order.join(', ')).toEqual([]);
    }
  });

  it('a delivery of one activity goes to the dispatcher as its body, one of several as their text', () => {
    const prepare = (file: string) =>
      prepareDelivery({ receivedAt: new Date(), body: readFileSync(new URL(file, dir)), contentType: 'application/json', userAgent: null, remoteAddr: null });
    const single = fixtures.map(prepare).find((d) => d.events.length === 1)!;
    expect(single.events[0]).toMatchObject({ activityIndex: 0 });
    expect(single.events[0]!.payload).toBeUndefined();
    const several = fixtures.map(prepare).find((d) => d.events.length > 1)!;
    expect(several).toBeDefined();
    several.events.forEach((e, i) => {
      expect(e.activityIndex).toBe(i);
      expect(e.payload).toBe(activitiesOf(several.body)[i]!.payload);
    });
  });

  it('a pushed event whose body does not yield its activity gets the whole body as its payload', () => {
    const [e] = queued('aaa-follow.json', true);
    // As the store's read path gives it (JSON.parse of the body's text: the large id rounded).
    const body = Buffer.from('{"something":"else","id":12345678901234567890}');
    const event = lazyEvent({ ...e!, activity: { body, index: 3 } });
    expect(event.payload).toEqual({ something: 'else', id: 12345678901234567890 });
    expect(event.side).toEqual({ source: 'unknown' });
    const notJson = lazyEvent({ ...e!, activity: { body: Buffer.from('not json'), index: 0 } });
    expect(notJson.type).toBe('follow');
    expect(() => notJson.payload).toThrow(SyntaxError);
  });

  it('parses nothing until a field is read, then keeps what it parsed', () => {
    const [e] = queued('aaa-follow.json');
    // An unparseable payload only fails the handler that reads it.
    const broken = lazyEvent({ ...e!, payload: '{not json' });
    expect(broken.type).toBe('follow');
    expect(broken.side).toEqual(JSON.parse(e!.sideObjects!));
    expect(() => broken.payload).toThrow(SyntaxError);

    const event = lazyEvent(e!);
    expect(event.payload).toBe(event.payload);
    expect(event.side).toBe(event.side);
    expect(event.data).toBe(event.data);
  });

  it('behaves as a plain object once read: delete, defineProperty, freeze', () => {
    const [e] = queued('aaa-follow.json');
    const event = lazyEvent(e!) as unknown as Record<string, unknown>;
    delete event.side;
    expect('side' in event).toBe(false);
    Object.defineProperty(event, 'payload', { value: 1, enumerable: true });
    expect(event.payload).toBe(1);
    expect(Object.getOwnPropertyDescriptor(lazyEvent(e!), 'data')?.get).toBeTypeOf('function');
    const read = lazyEvent(e!) as unknown as Record<string, unknown>;
    const payload = read.payload;
    expect(Object.getOwnPropertyDescriptor(read, 'payload')).toMatchObject({ value: payload, writable: true });

    // Frozen before anything was read: reads still return one object; assignments throw.
    const frozen = Object.freeze(lazyEvent(e!)) as unknown as Record<string, unknown>;
    expect(frozen.payload).toBe(frozen.payload);
    expect(frozen.data).toEqual(eager(e!).data);
    expect(() => {
      frozen.payload = {};
    }).toThrow(TypeError);
  });

  it("derives data from the stored event, whatever a handler did to payload or side first", () => {
    const [e] = queued('aaa-tweet-create-mention.json');
    const expected = eager(e!).data;
    const mutated = lazyEvent(e!) as unknown as Record<string, Record<string, unknown>>;
    mutated.payload!.text = 'changed by another plugin';
    mutated.side = { source: 'changed' };
    expect(mutated.data).toEqual(expected);
    const replaced = lazyEvent(e!) as unknown as Record<string, unknown>;
    replaced.payload = {};
    expect(replaced.data).toEqual(expected);
    // Read data first: payload is then the object data was derived from, parsed once.
    const first = lazyEvent(e!);
    expect(first.data).toEqual(expected);
    expect(first.payload).toEqual(eager(e!).payload);
  });

  it('takes assignments and shows its values when logged', () => {
    const [e] = queued('aaa-follow.json');
    const event = lazyEvent(e!) as unknown as Record<string, unknown>;
    event.payload = { replaced: true };
    expect(event.payload).toEqual({ replaced: true });
    const shown = inspect(lazyEvent(e!), { depth: 4 });
    expect(shown).not.toContain('Getter');
    expect(shown).toContain("source: 'follow_events'");
  });

  it('shares its accessor functions between events and adds no visible key', () => {
    // Accessors made per event (closures) gave every event a hidden class of its own, kept alive
    // by V8's young-generation collections until the next full one: see runtime/private-state.ts.
    const [a, b] = [...queued('aaa-follow.json'), ...queued('aaa-tweet-create-mention.json')];
    const one = lazyEvent(a!);
    const two = lazyEvent(b!);
    for (const field of ['payload', 'side', 'data']) {
      const first = Object.getOwnPropertyDescriptor(one, field)!;
      const second = Object.getOwnPropertyDescriptor(two, field)!;
      expect(first.get).toBeTypeOf('function');
      expect(first.get).toBe(second.get);
      expect(first.set).toBe(second.set);
    }
    expect(Reflect.ownKeys(one).filter((k) => typeof k === 'symbol')).toEqual([inspect.custom]);
    expect(Object.getPrototypeOf(one)).toBe(Object.prototype);
    // Read through an object that inherits from the event: the event's own values.
    const heir = Object.create(lazyEvent(a!)) as Record<string, unknown>;
    expect(heir.payload).toEqual(eager(a!).payload);
    expect(() => Object.getOwnPropertyDescriptor(one, 'side')!.get!.call({})).toThrow(TypeError);
    // Through a Proxy: a field read on the event first reads as usual; one not read yet says what to do.
    const proxied = lazyEvent(a!);
    expect(proxied.payload).toEqual(eager(a!).payload);
    const proxy = new Proxy(proxied, {});
    expect(proxy.payload).toBe(proxied.payload);
    expect(() => proxy.side).toThrow(/Read them on the event first, or copy it with \{ \.\.\.event \}/);
    expect(new Proxy({ ...lazyEvent(a!) }, {}).side).toEqual(eager(a!).side);
  });
});
