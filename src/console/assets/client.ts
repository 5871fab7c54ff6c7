/**
 * The console's one script, served as /console/assets/console.js (script-src 'self'; nothing
 * inline). It only adds the live tail: every page reads fine without it. Rows are built with
 * textContent, never from HTML strings, so nothing received can become markup.
 */
export const CONSOLE_JS = `
const tail = document.querySelector('[data-tail-src]');
if (tail && 'EventSource' in window) {
  const status = document.getElementById('live-status');
  const eventsBody = document.querySelector('#tail-events tbody');
  const deliveriesBody = document.querySelector('#tail-deliveries tbody');
  const maxRows = 200;
  const cell = (row, text, className) => {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text == null ? '' : String(text);
    row.appendChild(td);
    return td;
  };
  const timeCell = (row, iso) => {
    const td = document.createElement('td');
    const t = document.createElement('time');
    t.dateTime = iso;
    const date = document.createElement('span');
    date.className = 'date';
    date.textContent = iso.slice(0, 10) + ' ';
    t.append(date, iso.slice(11, 19) + 'Z');
    td.appendChild(t);
    row.appendChild(td);
  };
  const stateBadge = (text) => {
    const span = document.createElement('span');
    span.className = 'state state-' + String(text).replace(/[^a-z]/g, '');
    span.textContent = text;
    return span;
  };
  const badge = (row, text) => {
    const td = document.createElement('td');
    td.className = 'state-cell';
    td.appendChild(stateBadge(text));
    row.appendChild(td);
  };
  const prepend = (body, row) => {
    const empty = body.querySelector('tr.empty');
    if (empty) empty.remove();
    row.className = 'fresh';
    body.insertBefore(row, body.firstChild);
    setTimeout(() => row.classList.remove('fresh'), 50);
    while (body.rows.length > maxRows) body.deleteRow(body.rows.length - 1);
  };
  const source = new EventSource(tail.getAttribute('data-tail-src'));
  source.addEventListener('open', () => { status.dataset.state = 'open'; status.textContent = 'Live: new deliveries and events appear at the top.'; });
  source.addEventListener('error', () => {
    status.dataset.state = 'closed';
    // CLOSED: the server refused the reconnection (the session ended): the browser stops retrying.
    status.textContent = source.readyState === EventSource.CLOSED ? 'Live tail stopped (the session may have ended): reload the page.' : 'Live tail disconnected; retrying…';
  });
  source.addEventListener('event', (message) => {
    const e = JSON.parse(message.data);
    const known = document.getElementById('event-' + e.id);
    if (known) {
      // A state change (done, dead, failing): the row's badge follows.
      const stateCell = known.querySelector('.state-cell');
      if (stateCell) stateCell.replaceChildren(stateBadge(e.status));
      return;
    }
    const row = document.createElement('tr');
    row.id = 'event-' + e.id;
    timeCell(row, e.receivedAt);
    const link = document.createElement('a');
    link.href = '/console/events/' + encodeURIComponent(e.id);
    link.textContent = e.type + (e.action ? ' (' + e.action + ')' : '');
    const td = document.createElement('td');
    td.appendChild(link);
    row.appendChild(td);
    cell(row, e.forUserId || '');
    cell(row, e.format, 'hide-narrow');
    badge(row, e.status);
    cell(row, e.id, 'hide-narrow');
    prepend(eventsBody, row);
  });
  source.addEventListener('delivery', (message) => {
    const d = JSON.parse(message.data);
    if (document.getElementById('delivery-' + d.id)) return;
    const row = document.createElement('tr');
    row.id = 'delivery-' + d.id;
    timeCell(row, d.receivedAt);
    cell(row, d.format);
    badge(row, d.status);
    cell(row, d.eventCount, 'num');
    cell(row, d.id, 'hide-narrow');
    prepend(deliveriesBody, row);
  });
}
`;
