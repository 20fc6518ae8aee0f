/**
 * HTTP_PROXY / NO_PROXY are honoured: a tiny loopback proxy (absolute-form requests and CONNECT
 * tunnels) sits between the transport and the fake backend.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { startFakeBackend, type FakeBackend } from '../support/fake-backend.js';

const TOKEN = 'proxy-test-token';

interface ProxyHit {
  kind: 'absolute' | 'connect';
  target: string;
}

async function startProxy(): Promise<{ url: string; hits: ProxyHit[]; close(): Promise<void> }> {
  const hits: ProxyHit[] = [];
  const server: Server = createServer((req, res) => {
    // absolute-form: GET http://host:port/path HTTP/1.1
    const target = new URL(req.url ?? '');
    hits.push({ kind: 'absolute', target: `${target.host}${target.pathname}` });
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    hits.push({ kind: 'connect', target: req.url ?? '' });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let fake: FakeBackend;
let proxy: Awaited<ReturnType<typeof startProxy>>;

beforeEach(async () => {
  fake = await startFakeBackend({ token: TOKEN });
  proxy = await startProxy();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fake.close();
  await proxy.close();
});

const req = { method: 'POST', path: '/dataset/', body: { title: 't', allow_feature_modification: true } } as const;

async function sendWith(env: NodeJS.ProcessEnv | undefined): Promise<void> {
  const t = new HttpTransport({ baseUrl: fake.url, token: TOKEN, baseDelayMs: 5, retries: 1, ...(env ? { proxyEnv: env } : {}) });
  try {
    const res = await t.send(req);
    expect(res.status).toBe(201);
  } finally {
    await t.close();
  }
}

describe('proxy support', () => {
  it('goes through HTTP_PROXY when NO_PROXY is empty', async () => {
    await sendWith({ HTTP_PROXY: proxy.url, NO_PROXY: '' });
    expect(proxy.hits).toHaveLength(1);
    expect(proxy.hits[0]?.target).toContain(`127.0.0.1:${fake.port}`);
    // plain http:// targets are sent in absolute form (no CONNECT)
    expect(proxy.hits[0]?.kind).toBe('absolute');
    expect(proxy.hits[0]?.target).toBe(`127.0.0.1:${fake.port}/dataset/`);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.authMatched).toBe(true);
  });

  it('lower-case http_proxy works too', async () => {
    await sendWith({ http_proxy: proxy.url });
    expect(proxy.hits).toHaveLength(1);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    await sendWith({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(proxy.hits).toHaveLength(0);
    expect(fake.requests).toHaveLength(1);
    await sendWith({ http_proxy: proxy.url, no_proxy: `example.test, 127.0.0.1:${fake.port}` });
    expect(proxy.hits).toHaveLength(0);
  });

  it('a NO_PROXY entry with another port does not bypass', async () => {
    await sendWith({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1:1' });
    expect(proxy.hits).toHaveLength(1);
  });

  it('no proxy variable → direct', async () => {
    await sendWith({});
    expect(proxy.hits).toHaveLength(0);
    expect(fake.requests).toHaveLength(1);
  });

  it('reads process.env by default', async () => {
    for (const k of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTPS_PROXY']) vi.stubEnv(k, '');
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('NO_PROXY', '');
    await sendWith(undefined);
    expect(proxy.hits).toHaveLength(1);

    vi.stubEnv('NO_PROXY', '127.0.0.1');
    await sendWith(undefined);
    expect(proxy.hits).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('https:// targets tunnel through CONNECT (HTTPS_PROXY, falling back to HTTP_PROXY)', async () => {
    for (const env of [{ HTTPS_PROXY: proxy.url }, { HTTP_PROXY: proxy.url }]) {
      const t = new HttpTransport({ baseUrl: `https://127.0.0.1:${fake.port}`, token: TOKEN, retries: 0, proxyEnv: env });
      try {
        // the tunnel reaches the plain-HTTP fake, so the TLS handshake fails: only the CONNECT matters
        const e = (await t.send(req).catch((x: unknown) => x)) as { code?: string };
        expect(e.code).toBe('BACKEND_FAILED');
      } finally {
        await t.close();
      }
    }
    expect(proxy.hits).toEqual([
      { kind: 'connect', target: `127.0.0.1:${fake.port}` },
      { kind: 'connect', target: `127.0.0.1:${fake.port}` },
    ]);
    expect(fake.requests).toHaveLength(0);
  });

  it('an unreachable proxy is a retried network failure', async () => {
    const port = Number(new URL(proxy.url).port);
    await proxy.close();
    const t = new HttpTransport({ baseUrl: fake.url, token: TOKEN, baseDelayMs: 5, retries: 1, proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${port}` } });
    try {
      const e = (await t.send(req).catch((x: unknown) => x)) as { code?: string };
      expect(e.code).toBe('BACKEND_FAILED');
    } finally {
      await t.close();
      proxy = await startProxy(); // for afterEach
    }
    expect(fake.requests).toHaveLength(0);
  });
});
