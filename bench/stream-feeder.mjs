// A stand-in for GET /2/activity/stream that writes a fixed set of event lines as fast as the
// receiver reads them (the socket's backpressure), then keep-alives: what the stream intake
// scenario measures is the receiver's side.
import http from 'node:http';

export async function startFeeder(lines, bearerToken) {
  const state = { connectedAt: null, connections: 0 };
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/2/activity/stream')) return res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${bearerToken}`) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"title":"Unauthorized"}');
    state.connections++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const keepAlive = setInterval(() => res.write('\r\n'), 1000);
    res.on('close', () => clearInterval(keepAlive));
    // Only the first connection gets the lines (a reconnection would be a backfill: not measured).
    if (state.connections > 1) return;
    state.connectedAt = performance.now();
    let i = 0;
    const pump = () => {
      while (i < lines.length) {
        // A few lines per write, as a server flushing its buffer does.
        const end = Math.min(lines.length, i + 16);
        const ok = res.write(lines.slice(i, end).join('\r\n') + '\r\n');
        i = end;
        if (!ok) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
