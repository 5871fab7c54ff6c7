/**
 * HTTP requests written by hand on a TCP socket, for tests that control when each byte of a body
 * is sent (held, trickled, cut) and from which local address (127.0.0.x), and that read what the
 * server answered and whether it closed the connection.
 */
import net from 'node:net';

export interface RawAnswer {
  /** The status of the answer, or null when none arrived. */
  status: number | null;
  /** Its headers, names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** A socket error other than a reset or a broken pipe (which a closing server causes), so far. */
  error: string | null;
}

export interface RawClose {
  /** The server ended or reset the connection (rather than this side closing it). */
  byServer: boolean;
  /** A socket error other than a reset or a broken pipe. */
  error: string | null;
}

export interface RawRequest {
  socket: net.Socket;
  /** Writes bytes unless the socket is gone; resolves once they are handed to the kernel (false: gone). */
  write(bytes: Buffer | string): Promise<boolean>;
  /** Settles once a whole answer has arrived (by its Content-Length), or when the connection closes. */
  answer: Promise<RawAnswer>;
  /** Settles when the connection is closed, by either side. */
  closed: Promise<RawClose>;
  /** Closes this side (an abort). */
  abort(): void;
}

export interface RawRequestOptions {
  port: number;
  host?: string;
  /** The local address to connect from (127.0.0.2 on loopback is another client). */
  localAddress?: string;
  method?: string;
  path?: string;
  /** Sent as given, in order; add content-length or transfer-encoding yourself. */
  headers: Record<string, string | number>;
}

/** Parses what came back: status line, headers, body (no chunked decoding: the server answers with lengths). */
export function parseAnswer(text: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: match ? Number(match[1]) : null, headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/** Opens a connection and writes the request line and headers; the body is the caller's to write. */
export function openRequest(options: RawRequestOptions): RawRequest {
  const socket = net.connect({ port: options.port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
  const head =
    `${options.method ?? 'POST'} ${options.path ?? '/webhook'} HTTP/1.1\r\nHost: localhost\r\n` +
    Object.entries(options.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  socket.write(head);
  let closed = false;
  let byServer = false;
  let error: string | null = null;
  const chunks: Buffer[] = [];
  let resolveAnswer!: (a: RawAnswer) => void;
  const answer = new Promise<RawAnswer>((resolve) => (resolveAnswer = resolve));
  const current = () => ({ ...parseAnswer(Buffer.concat(chunks).toString('latin1')), error });
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    const a = current();
    const length = Number(a.headers['content-length']);
    if (a.status !== null && Number.isFinite(length) && Buffer.byteLength(a.body, 'latin1') >= length) resolveAnswer(a);
  });
  socket.on('end', () => {
    byServer = true;
    socket.end();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE') byServer = true;
    else error = e.code ?? e.message;
  });
  const closedPromise = new Promise<RawClose>((resolve) =>
    socket.on('close', () => {
      closed = true;
      resolveAnswer(current());
      resolve({ byServer, error });
    }),
  );
  return {
    socket,
    answer,
    closed: closedPromise,
    write: (bytes) =>
      new Promise((resolve) => {
        if (closed || socket.destroyed || !socket.writable) return resolve(false);
        socket.write(bytes, (err) => resolve(!err));
      }),
    abort: () => socket.destroy(),
  };
}

/**
 * Sends a request whose body could go on for ever (chunked, or announced as 1 GiB with `sized`),
 * writing until the server closes the connection (or 64 MiB: a server draining it would read
 * them all); resolves with the answer and how the connection ended.
 */
export async function endlessBody(
  options: { port: number; method?: string; path?: string; headers: Record<string, string | number> },
  sized = false,
): Promise<{ answer: RawAnswer; closed: RawClose }> {
  const framing: Record<string, string> = sized ? { 'content-length': String(1 << 30) } : { 'transfer-encoding': 'chunked' };
  const c = openRequest({ ...options, headers: { ...options.headers, ...framing } });
  const data = Buffer.alloc(0x4000, 0x61);
  const chunk = sized ? data : Buffer.concat([Buffer.from('4000\r\n'), data, Buffer.from('\r\n')]);
  let writing = true;
  void (async () => {
    for (let i = 0; writing && i < 4096; i++) if (!(await c.write(chunk))) break;
  })();
  const answer = await c.answer;
  const closed = await c.closed;
  writing = false;
  return { answer, closed };
}
