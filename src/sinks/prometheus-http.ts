// The HTTP side of --listen: GET /metrics (and HEAD) serves the Prometheus sink's exposition,
// GET / a short page pointing at it; nothing else. Bounded against hostile or broken clients:
// request bodies are never read, headers must arrive within HEADERS_TIMEOUT_MS and be at most
// MAX_HEADER_BYTES, a request must be complete within REQUEST_TIMEOUT_MS, an idle connection is
// closed after IDLE_TIMEOUT_MS (KEEP_ALIVE_MS between requests), at most MAX_CONNECTIONS are
// open at once (more are closed as they arrive). A scrape only reads text rendered once per
// interval: it never waits on the probes.
import http from 'node:http';
import { isIP } from 'node:net';
import { CONTENT_TYPES, type ExpositionFormat } from './prometheus.js';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';
export const HEADERS_TIMEOUT_MS = 3000;
export const REQUEST_TIMEOUT_MS = 5000;
export const IDLE_TIMEOUT_MS = 5000;
export const KEEP_ALIVE_MS = 2000;
export const MAX_HEADER_BYTES = 4096;
export const MAX_CONNECTIONS = 64;
export const MAX_REQUESTS_PER_CONNECTION = 100;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "host:port" as a URL writes it ("[::1]:9100"). */
export function formatAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** [ADDR:]PORT: "9100" (127.0.0.1), "0.0.0.0:9100", "[::1]:9100". Throws an Error saying what is wrong. */
export function parseListen(v: string): ListenAddress {
  const m = /^(?:(?:\[([^\]]*)\]|([^:[\]]*)):)?([^:]*)$/.exec(v);
  if (!m) throw new Error(`--listen must be [ADDR:]PORT (e.g. 9100, 0.0.0.0:9100, [::1]:9100), got '${v}'`);
  const [, v6, v4, portText] = m;
  if (!/^\d{1,5}$/.test(portText)) throw new Error(`--listen: the port must be a number, got '${portText}'`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new Error(`--listen: the port must be between 1 and 65535, got ${port}`);
  let host = DEFAULT_LISTEN_HOST;
  if (v6 !== undefined) {
    if (isIP(v6) !== 6) throw new Error(`--listen: '[${v6}]' is not an IPv6 address`);
    host = v6;
  } else if (v4 !== undefined) {
    if (isIP(v4) !== 4) throw new Error(`--listen: '${v4}' is not an IPv4 address (IPv6 goes in brackets: [::1]:${port})`);
    host = v4;
  }
  return { host, port };
}

/** Does the Accept header ask for OpenMetrics (with a q above 0)? */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type.toLowerCase() !== 'application/openmetrics-text') return false;
    const q = params.find((p) => /^q=/i.test(p));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>perfscope</title></head>
<body><h1>perfscope</h1><p><a href="/metrics">Metrics</a></p></body></html>
`;

export interface ExpositionSource {
  exposition(format: ExpositionFormat): string;
}

export interface MetricsServer {
  /** Where it listens, as "host:port". */
  readonly address: string;
  close(): void;
}

function send(req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const h: Record<string, string | number> = {
    ...headers,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
  if (!h['Content-Type']) h['Content-Type'] = 'text/plain; charset=utf-8';
  res.writeHead(status, h);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function handle(src: ExpositionSource, req: http.IncomingMessage, res: http.ServerResponse): void {
  // A body is never read: answer, then close the connection (so nothing is left to drain).
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    res.shouldKeepAlive = false;
    res.on('finish', () => req.socket.destroy());
  }
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics' && path !== '/') return send(req, res, 404, {}, 'Not found: perfscope serves /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, { Allow: 'GET, HEAD' }, 'Method not allowed\n');
  if (path === '/') return send(req, res, 200, { 'Content-Type': 'text/html; charset=utf-8' }, INDEX);
  const format: ExpositionFormat = wantsOpenMetrics(req.headers.accept) ? 'openmetrics' : 'text';
  let body: string;
  try {
    body = src.exposition(format);
  } catch (e) {
    return send(req, res, 500, {}, `perfscope: ${(e as Error).message.split('\n')[0]}\n`);
  }
  send(req, res, 200, { 'Content-Type': CONTENT_TYPES[format] }, body);
}

/** Listen on `addr` and serve `src`. Rejects (with the code, e.g. EADDRINUSE) when it cannot bind. */
export function startMetricsServer(addr: ListenAddress, src: ExpositionSource): Promise<MetricsServer> {
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // How often the two timeouts above are checked (Node's default is 30 s).
      connectionsCheckingInterval: 500,
    },
    (req, res) => handle(src, req, res),
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_CONNECTION;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.setTimeout(IDLE_TIMEOUT_MS, (socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(e);
    server.once('error', onError);
    server.listen({ host: addr.host, port: addr.port, exclusive: true }, () => {
      server.off('error', onError);
      // After the bind, an error (an accept that fails: out of fds) drops that connection only.
      server.on('error', () => {});
      resolve({
        address: formatAddress(addr),
        close() {
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}

/** One line for a bind error: "cannot listen on 127.0.0.1:9100: address already in use". */
export function describeListenError(addr: ListenAddress, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'address not available on this host',
    EACCES: 'permission denied',
    EAFNOSUPPORT: 'address family not supported',
  };
  return `cannot listen on ${formatAddress(addr)}: ${(code && why[code]) ?? (e as Error).message?.split('\n')[0] ?? String(e)}`;
}
