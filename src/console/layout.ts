import { html, type Fragment, type Html } from './html.js';

export const NAV = [
  ['/console/events', 'Live tail'],
  ['/console/dead-letters', 'Dead letters'],
  ['/console/webhooks', 'Webhooks'],
  ['/console/subscriptions', 'Subscriptions'],
  ['/console/replays', 'Replays'],
  ['/console/charts', 'Charts'],
] as const;

export interface PageOptions {
  title: string;
  /** The nav entry this page belongs to. */
  current?: string;
  /** The session's CSRF token (for the logout form); absent on the login page. */
  csrf?: string;
  notice?: string | null;
  error?: string | null;
  body: Fragment;
}

/** A whole console page: skip link, navigation, one main landmark, no inline script or style. */
export function page({ title, current, csrf, notice, error, body }: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${title} · xaa console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console/events">xaa console</a>
${csrf
  ? html`<nav class="main" aria-label="Console"><ul>${NAV.map(
      ([href, label]) => html`<li><a href="${href}"${current === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
    )}</ul></nav>
<form class="inline" method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Log out</button></form>`
  : ''}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A state badge: the class follows the state's name (letters only). */
export function badge(state: string): Html {
  return html`<span class="state state-${state.replace(/[^a-z]/g, '')}">${state}</span>`;
}

/** The hidden CSRF field every console form carries. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A table in a horizontally scrolling wrapper (phones), with a caption for screen readers. */
export function table(caption: string, head: Fragment, rows: Fragment[], empty: string, id?: string): Html {
  const cols = 12;
  return html`<div class="table-wrap"><table${id ? html` id="${id}"` : ''}><caption class="sr-only">${caption}</caption><thead><tr>${head}</tr></thead><tbody>${
    rows.length ? rows : html`<tr class="empty"><td colspan="${cols}" class="muted">${empty}</td></tr>`
  }</tbody></table></div>`;
}
