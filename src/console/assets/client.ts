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
  const badge = (row, text) => {
    const td = document.createElement('td');
    const span = document.createElement('span');
    span.className = 'state state-' + String(text).replace(/[^a-z]/g, '');
    span.textContent = text;
    td.appendChild(span);
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
  source.addEventListener('error', () => { status.dataset.state = 'closed'; status.textContent = 'Live tail disconnected; retrying…'; });
  source.addEventListener('event', (message) => {
    const e = JSON.parse(message.data);
    if (document.getElementById('event-' + e.id)) return;
    const row = document.createElement('tr');
    row.id = 'event-' + e.id;
    cell(row, e.receivedAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'));
    const link = document.createElement('a');
    link.href = '/console/events/' + encodeURIComponent(e.id);
    link.textContent = e.type + (e.action ? ' (' + e.action + ')' : '');
    const td = document.createElement('td');
    td.appendChild(link);
    row.appendChild(td);
    cell(row, e.forUserId || '');
    cell(row, e.format);
    badge(row, e.status);
    cell(row, e.id, 'hide-narrow');
    prepend(eventsBody, row);
  });
  source.addEventListener('delivery', (message) => {
    const d = JSON.parse(message.data);
    if (document.getElementById('delivery-' + d.id)) return;
    const row = document.createElement('tr');
    row.id = 'delivery-' + d.id;
    cell(row, d.receivedAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'));
    cell(row, d.format);
    badge(row, d.status);
    cell(row, d.eventCount, 'num');
    cell(row, d.id, 'hide-narrow');
    prepend(deliveriesBody, row);
  });
}
`;
