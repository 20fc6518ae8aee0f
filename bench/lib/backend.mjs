// A minimal loopback backend (127.0.0.1, ephemeral port) answering the five calls of PLATFORM.md §5.
// It only counts: request bodies are not parsed (the harness shares the CPU with the ingestor, and
// a real backend is remote), except that `"data_id"` occurrences are counted to check every row was sent.
import { createServer } from 'node:http';

const DATA_ID = Buffer.from('"data_id"');

export async function startBackend({ token }) {
  // busyMs: summed time from a request's arrival to its answer (what the client waited on us).
  const stats = { requests: 0, byKind: {}, rowsSent: 0, bytesIn: 0, unexpected: 0, unauthorized: 0, busyMs: 0 };
  const count = (kind) => (stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1);

  const server = createServer((req, res) => {
    const t0 = performance.now();
    res.on('finish', () => (stats.busyMs += performance.now() - t0));
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      stats.bytesIn += body.length;
      const answer = (status, json) => {
        const text = JSON.stringify(json);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.headers.authorization !== `TOKEN ${token}`) {
        stats.unauthorized++;
        return answer(401, { detail: 'Invalid token.' });
      }
      const pathname = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && pathname === '/global_meta/generate-edge-labels-meta/') {
        count('edge_labels');
        return answer(200, {});
      }
      if (req.method === 'GET' && pathname === '/global_meta/prepare/') {
        count('prepare');
        return answer(200, {});
      }
      if (req.method === 'POST' && pathname === '/global_meta/global_metadata/') {
        count('global_metadata');
        return answer(201, {});
      }
      if (req.method === 'POST' && pathname === '/dataset/') {
        count('dataset');
        return answer(201, { id: 1 });
      }
      if (req.method === 'POST' && /^\/global_meta\/[A-Za-z0-9_]{1,64}\/$/.test(pathname)) {
        count('rows');
        let n = 0;
        for (let at = body.indexOf(DATA_ID); at >= 0; at = body.indexOf(DATA_ID, at + DATA_ID.length)) n++;
        stats.rowsSent += n;
        return answer(201, {});
      }
      stats.unexpected++;
      return answer(404, { detail: 'Not found.' });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
