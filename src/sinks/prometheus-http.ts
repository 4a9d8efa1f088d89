// The HTTP side of --listen: GET /metrics (and HEAD) serves the Prometheus sink's exposition,
// GET / a short page pointing at it; nothing else. With --web-config (web-config.ts) it serves
// HTTPS, asks for basic auth and adds the configured headers. Bounded against hostile or broken
// clients: request bodies are never read, headers must arrive within HEADERS_TIMEOUT_MS and be
// at most MAX_HEADER_BYTES, a request must be complete within REQUEST_TIMEOUT_MS, a TLS handshake
// within HANDSHAKE_TIMEOUT_MS, an idle connection is closed after IDLE_TIMEOUT_MS (KEEP_ALIVE_MS
// between requests). At most MAX_CONNECTIONS are open at once; when one more arrives, the oldest
// connection with no request in flight (idle, still sending its headers, or in its handshake) of
// the peer address that holds the most connections is closed to make room, so idle or slow
// clients cannot lock a scraper out (and a noisy host cannot evict another host's scraper);
// only when every connection has a request in flight is the new one closed. A scrape only reads text rendered
// once per interval: it never waits on the probes.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { PromFamily } from '../probes/prom.js';
import { CONTENT_TYPES, type ExpositionFormat, renderFamilies } from './prometheus.js';
import { BasicAuth } from './basic-auth.js';
import type { WebConfig } from './web-config.js';
import { secureContextOptions } from './web-tls.js';
import { hostHeader, MAX_STREAMS, type StreamHub } from './stream.js';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';
export const HEADERS_TIMEOUT_MS = 3000;
export const REQUEST_TIMEOUT_MS = 5000;
export const IDLE_TIMEOUT_MS = 5000;
export const KEEP_ALIVE_MS = 2000;
export const HANDSHAKE_TIMEOUT_MS = 3000;
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
<body><h1>perfscope</h1><p><a href="/metrics">Metrics</a></p><p><a href="/stream">Live stream</a> (NDJSON, one line per interval)</p></body></html>
`;

export interface ExpositionSource {
  exposition(format: ExpositionFormat): string;
}

export interface MetricsServer {
  /** Where it listens, as "host:port". */
  readonly address: string;
  /** "http" or "https". */
  readonly scheme: 'http' | 'https';
  /** Counters of what the bounds did: connections evicted to make room, refused, TLS handshakes that failed. */
  stats(): { evicted: number; refused: number; tlsErrors: number };
  close(): void;
}

interface Ctx {
  src: ExpositionSource;
  /** What the bounds did (connections closed by reason) and the answers given (by status). */
  counts: { evicted: number; refused: number; tlsErrors: number };
  responses: Map<number, number>;
  /** Headers added to every response (http_server_config.headers). */
  headers: Record<string, string>;
  auth: BasicAuth | null;
  limiter: TokenBucket | null;
  /** GET /stream: the --json lines as they are made, or null (404). */
  stream: StreamHub | null;
}

/** exporter-toolkit's rate_limit: a token bucket over every request (one token per interval, `burst` at most). */
class TokenBucket {
  private tokens: number;
  private at = Date.now();
  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) / this.intervalMs);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function send(ctx: Ctx, req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const h: Record<string, string | number> = {
    ...ctx.headers,
    ...headers,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
  if (!h['Content-Type']) h['Content-Type'] = 'text/plain; charset=utf-8';
  ctx.responses.set(status, (ctx.responses.get(status) ?? 0) + 1);
  res.writeHead(status, h);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** GET /stream: headers now, then every interval's --json line until the client goes (src/sinks/stream.ts). */
function streamTo(ctx: Ctx, hub: StreamHub, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (hub.full()) return send(ctx, req, res, 503, { 'Retry-After': '5' }, `Too many streams (at most ${MAX_STREAMS})\n`);
  ctx.responses.set(200, (ctx.responses.get(200) ?? 0) + 1);
  res.writeHead(200, {
    ...ctx.headers,
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Perfscope-Host': hostHeader(hub.host),
  });
  if (req.method === 'HEAD') return void res.end();
  // The stream lives as long as the client: no idle timeout (an interval may be longer than it);
  // TCP keep-alive finds a peer that is gone, and the hub's backlog bound one that stopped reading.
  req.socket.setTimeout(0);
  req.socket.setKeepAlive(true, 10_000);
  res.flushHeaders();
  const remove = hub.add(res);
  res.once('close', remove);
  // A write racing the client's going away ends that stream only, never the process.
  res.on('error', remove);
}

function handle(ctx: Ctx, req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  const known = path === '/metrics' || path === '/' || (ctx.stream !== null && path === '/stream');
  if (!known) return send(ctx, req, res, 404, {}, `Not found: perfscope serves /metrics${ctx.stream ? ' and /stream' : ''}\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(ctx, req, res, 405, { Allow: 'GET, HEAD' }, 'Method not allowed\n');
  if (path === '/') return send(ctx, req, res, 200, { 'Content-Type': 'text/html; charset=utf-8' }, INDEX);
  if (path === '/stream' && ctx.stream) return streamTo(ctx, ctx.stream, req, res);
  const format: ExpositionFormat = wantsOpenMetrics(req.headers.accept) ? 'openmetrics' : 'text';
  let body: string;
  try {
    body = ctx.src.exposition(format);
    // The endpoint's own counters, live (OpenMetrics: before its closing # EOF).
    const own = renderFamilies(endpointFamilies(ctx), format);
    body = format === 'openmetrics' ? body.replace(/# EOF\n$/, '') + own : body + own;
  } catch (e) {
    return send(ctx, req, res, 500, {}, `perfscope: ${(e as Error).message.split('\n')[0]}\n`);
  }
  send(ctx, req, res, 200, { 'Content-Type': CONTENT_TYPES[format] }, body);
}

/** The endpoint's families: connections it closed to keep its bounds, and its answers. */
function endpointFamilies(ctx: Ctx): PromFamily[] {
  const c = ctx.counts;
  return [
    {
      name: 'perfscope_http_connections_closed',
      type: 'counter',
      help: 'Connections to /metrics closed to keep the bounds: evicted to make room (idle, unfinished or in a TLS handshake), refused (every connection busy), failed or refused TLS handshakes',
      series: [
        { labels: { reason: 'evicted' }, value: c.evicted },
        { labels: { reason: 'refused' }, value: c.refused },
        { labels: { reason: 'tls_error' }, value: c.tlsErrors },
      ],
    },
    {
      name: 'perfscope_http_responses',
      type: 'counter',
      help: 'Answers of the /metrics endpoint by HTTP status (401: no or wrong credentials, 429: rate limit, 503: passwords being checked); the answer being sent is not counted yet',
      series: [...ctx.responses].sort((a, b) => a[0] - b[0]).map(([code, n]) => ({ labels: { code: String(code) }, value: n })),
    },
    ...streamFamilies(ctx.stream),
  ];
}

/** The live stream's own figures (none without a stream). */
function streamFamilies(hub: StreamHub | null): PromFamily[] {
  if (!hub) return [];
  const st = hub.stats();
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number): PromFamily => ({ name, type, help, series: [{ labels: {}, value }] });
  return [
    one('perfscope_http_streams', 'gauge', `Clients of /stream now (at most ${MAX_STREAMS})`, st.clients),
    one('perfscope_http_stream_lines', 'counter', 'Lines sent to /stream clients (one per interval and client)', st.linesSent),
    one(
      'perfscope_http_stream_lines_dropped',
      'counter',
      'Lines not sent to a /stream client that was not reading fast enough (its unread bytes above the bound)',
      st.linesDropped,
    ),
    one(
      'perfscope_http_streams_stalled',
      'counter',
      '/stream clients disconnected because they read nothing for 30 s while their lines were dropped',
      st.stalled,
    ),
  ];
}

/** Rate limit, then authentication, then the request itself. */
function serve(ctx: Ctx, req: http.IncomingMessage, res: http.ServerResponse): void {
  // A body is never read: answer, then close the connection (so nothing is left to drain).
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    res.shouldKeepAlive = false;
    res.on('finish', () => req.socket.destroy());
  }
  if (ctx.limiter && !ctx.limiter.take()) return send(ctx, req, res, 429, { 'Retry-After': '1' }, 'Too many requests\n');
  if (!ctx.auth?.enabled) return handle(ctx, req, res);
  const verdict = (v: 'ok' | 'denied' | 'busy') => {
    if (res.destroyed || res.headersSent) return;
    if (v === 'ok') handle(ctx, req, res);
    else if (v === 'busy') send(ctx, req, res, 503, { 'Retry-After': '1' }, 'Busy checking passwords, try again\n');
    else send(ctx, req, res, 401, { 'WWW-Authenticate': 'Basic' }, 'Unauthorized\n');
  };
  const v = ctx.auth.check(req.headers.authorization);
  if (typeof v === 'string') verdict(v);
  else void v.then(verdict);
}

/** The TCP socket under a request's socket (the TLS socket's parent, or the socket itself). */
function rawSocket(s: Socket): Socket {
  return ((s as Socket & { _parent?: Socket | null })._parent as Socket | null | undefined) ?? s;
}

/** Does a client certificate carry one of the allowed subject alternative names (exact match)? */
function sanAllowed(sock: TLSSocket, allowed: readonly string[]): boolean {
  const alt = sock.getPeerCertificate()?.subjectaltname ?? '';
  return alt
    .split(', ')
    .map((e) => e.slice(e.indexOf(':') + 1))
    .some((v) => allowed.includes(v));
}

/** Listen on `addr` and serve `src` (HTTPS and basic auth as `web` says). Rejects (with the code, e.g. EADDRINUSE) when it cannot bind. */
export function startMetricsServer(
  addr: ListenAddress,
  src: ExpositionSource,
  web: WebConfig | null = null,
  stream: StreamHub | null = null,
): Promise<MetricsServer> {
  const counts = { evicted: 0, refused: 0, tlsErrors: 0 };
  const ctx: Ctx = {
    src,
    counts,
    responses: new Map(),
    headers: web?.headers ?? {},
    auth: web && web.users.size > 0 ? new BasicAuth(web.users) : null,
    limiter: web?.rateLimit ? new TokenBucket(web.rateLimit.intervalMs, web.rateLimit.burst) : null,
    stream,
  };
  const httpOptions: http.ServerOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // How often the two timeouts above are checked (Node's default is 30 s).
    connectionsCheckingInterval: 500,
  };
  const tls = web?.tls ?? null;
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const st = conns.get(rawSocket(req.socket));
    if (st) {
      st.inFlight++;
      res.once('close', () => st.inFlight--);
    }
    serve(ctx, req, res);
  };
  const server: http.Server = tls
    ? https.createServer(
        {
          ...httpOptions,
          ...secureContextOptions(tls),
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
          requestCert: tls.clientAuth !== 'NoClientCert',
          rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
        },
        listener,
      )
    : http.createServer(httpOptions, listener);
  // Every TCP connection, oldest first, with its peer's address and its requests being answered;
  // and how many each address holds.
  const conns = new Map<Socket, { from: string; inFlight: number }>();
  const perAddress = new Map<string, number>();
  const forget = (s: Socket) => {
    const st = conns.get(s);
    if (!st) return;
    conns.delete(s);
    const n = (perAddress.get(st.from) ?? 1) - 1;
    if (n > 0) perAddress.set(st.from, n);
    else perAddress.delete(st.from);
  };
  /** The connection to close to make room: the oldest with no request in flight, from the address that holds the most (so one noisy host cannot evict another's scraper), else from any. */
  const victim = (): Socket | undefined => {
    let top = '';
    let most = 0;
    for (const [a, n] of perAddress) if (n > most) [top, most] = [a, n];
    let any: Socket | undefined;
    for (const [s, st] of conns) {
      if (st.inFlight > 0) continue;
      if (st.from === top) return s;
      any ??= s;
    }
    return any;
  };
  server.on('connection', (sock: Socket) => {
    if (conns.size >= MAX_CONNECTIONS) {
      const v = victim();
      if (v) {
        forget(v);
        v.destroy();
        counts.evicted++;
      } else {
        counts.refused++;
        sock.destroy();
        return;
      }
    }
    const from = sock.remoteAddress ?? '';
    conns.set(sock, { from, inFlight: 0 });
    perAddress.set(from, (perAddress.get(from) ?? 0) + 1);
    sock.once('close', () => forget(sock));
  });
  if (tls) {
    server.on('tlsClientError', (_e: Error, sock: TLSSocket) => {
      counts.tlsErrors++;
      sock.destroy();
    });
    // Client certificates Node does not check itself (the checks of Go's ClientAuthType), before HTTP reads a byte.
    server.prependListener('secureConnection', (sock: TLSSocket) => {
      const given = Object.keys(sock.getPeerCertificate() ?? {}).length > 0;
      const bad =
        (tls.clientAuth === 'RequireAnyClientCert' && !given) ||
        (tls.clientAuth === 'VerifyClientCertIfGiven' && given && !sock.authorized) ||
        (tls.clientAllowedSans.length > 0 && !sanAllowed(sock, tls.clientAllowedSans));
      if (bad) {
        counts.tlsErrors++;
        sock.destroy();
      }
    });
  }
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
      const port = (server.address() as { port: number }).port;
      resolve({
        address: formatAddress({ host: addr.host, port }),
        scheme: tls ? 'https' : 'http',
        stats: () => ({ ...counts }),
        close() {
          stream?.close();
          server.close();
          server.closeAllConnections();
          for (const s of conns.keys()) s.destroy();
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
