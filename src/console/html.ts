/**
 * HTML from template literals: every interpolated value is escaped unless it is already Html
 * (made by `html` itself, or `raw` for markup built here, never for input). Arrays are joined;
 * null, undefined and false render as nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export type Fragment = Html | string | number | boolean | null | undefined | readonly Fragment[];

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup built by the console's own code (SVG paths, fixed strings): never anything received. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A time as ISO 8601 in UTC (readable, sortable, and the same in every browser). */
export function time(d: Date | null | undefined): Html {
  if (!d) return html`<span class="muted">—</span>`;
  const iso = d.toISOString();
  // The date can be hidden in narrow table cells (CSS): the time of day is what a tail needs.
  return html`<time datetime="${iso}"><span class="date">${iso.slice(0, 10)} </span>${iso.slice(11, 19)}Z</time>`;
}
