// The ingest thread (SQLite): parses, normalizes and stores verified deliveries in group commits,
// off the main thread. The HTTP server's event loop then only reads sockets, verifies signatures
// and answers: it never runs JSON.parse on a delivery nor waits on SQLite (better-sqlite3 is
// synchronous: busy waits and fsyncs would otherwise stall every request, CRCs included).
import { parentPort, workerData } from 'node:worker_threads';
// The batch writer module itself, not the store's index: this thread needs no Prisma client.
import { openSqliteBatchWriter, type SqliteBatchWriter } from '../../store/sqlite-inbox/batch-writer.js';
import { prepareDelivery } from '../prepare.js';
import type { FromThread, ThreadSettings, ToThread } from './protocol.js';

const port = parentPort!;
let writer: SqliteBatchWriter;
try {
  writer = openSqliteBatchWriter(workerData as ThreadSettings);
} catch (error) {
  port.postMessage({ fatal: String((error as Error).message) } satisfies FromThread);
  throw error;
}

port.on('message', (message: ToThread) => {
  if (message === 'close') {
    writer.close();
    port.close();
    return;
  }
  let reply: FromThread;
  try {
    reply = { id: message.id, ok: true, results: writer.write(message.raws.map(prepareDelivery)) };
  } catch (error) {
    const e = error as { message?: string; code?: string };
    reply = { id: message.id, ok: false, error: { message: String(e.message ?? error), code: e.code } };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies FromThread);
