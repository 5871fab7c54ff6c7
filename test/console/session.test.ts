import { describe, expect, it } from 'vitest';
import { sameToken } from '../../src/console/csrf.js';
import { escapeHtml, html, raw } from '../../src/console/html.js';
import { createSessionStore } from '../../src/console/session.js';

describe('console sessions (in memory)', () => {
  it('opens a session for its lifetime only, and ends it at destroy', () => {
    let now = 1_000_000;
    const store = createSessionStore(60_000, () => now);
    const { id, session } = store.create();
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(store.get(id)).toBe(session);
    expect(store.get(`${id}x`)).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
    now += 59_999;
    expect(store.get(id)).toBe(session);
    now += 1;
    expect(store.get(id)).toBeUndefined();
    const other = store.create();
    store.destroy(other.id);
    expect(store.get(other.id)).toBeUndefined();
  });

  it('gives every session its own id and CSRF token, and holds a bounded number', () => {
    const store = createSessionStore(60_000);
    const a = store.create();
    const b = store.create();
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrf).not.toBe(b.session.csrf);
    for (let i = 0; i < 1_500; i++) store.create();
    expect(store.size).toBeLessThanOrEqual(1_000);
    expect(store.get(a.id)).toBeUndefined(); // the oldest went first
  });

  it('compares CSRF tokens exactly', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abd', 'abc')).toBe(false);
    expect(sameToken('', '')).toBe(false);
    expect(sameToken(['abc'], 'abc')).toBe(false);
    expect(sameToken(undefined, 'abc')).toBe(false);
  });
});

describe('console html', () => {
  it('escapes every interpolated value except its own markup', () => {
    const hostile = `<img src=x onerror="alert(1)">'&`;
    expect(escapeHtml(hostile)).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;');
    expect(String(html`<p title="${hostile}">${hostile}${[hostile, html`<b>${hostile}</b>`]}${null}${false}${0}</p>`)).toBe(
      `<p title="${escapeHtml(hostile)}">${escapeHtml(hostile)}${escapeHtml(hostile)}<b>${escapeHtml(hostile)}</b>0</p>`,
    );
    expect(String(html`${raw('<svg></svg>')}`)).toBe('<svg></svg>');
  });
});
