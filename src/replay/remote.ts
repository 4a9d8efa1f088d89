// perfscope --connect URL: a remote perfscope's intervals, read from its live stream (GET /stream
// beside /metrics, src/sinks/stream.ts) and handed to sinks as a replay hands a recording's:
// every line from the network is untrusted and goes through the replay's checks (validate.ts:
// parsed, every string escaped, each probe's part against its spec's fromJson) before it becomes
// an Interval; a line that fails is skipped and counted. Bounded: a line is at most
// MAX_REMOTE_LINE_BYTES (longer: the connection is dropped and made again), the answer's headers
// must come within CONNECT_TIMEOUT_MS, and a stream that sends nothing for IDLE_INTERVALS
// intervals (at least MIN_IDLE_MS) is taken as dead. A dropped connection is made again after
// a back-off (RETRY_MIN_MS doubling to RETRY_MAX_MS). What cannot get better by retrying (wrong
// or missing credentials, a certificate that does not verify, a URL that is not a stream) is
// fatal: one line, and the CLI exits 1.
import http from 'node:http';
import https from 'node:https';
import type { Catalogue, Interval } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import { intervalFromJson } from '../catalogue/codec.js';
import { escapeText } from '../probes/strings.js';
import { FEED_INTERVAL_MAX_BYTES } from '../probes/feed-spec.js';
import { checkRecord } from './validate.js';
import { deliver } from './source.js';

/** A --json line is at most a few feeds of FEED_INTERVAL_MAX_BYTES; beyond this it is not one. */
export const MAX_REMOTE_LINE_BYTES = 8 * FEED_INTERVAL_MAX_BYTES;
export const CONNECT_TIMEOUT_MS = 10_000;
export const MIN_IDLE_MS = 30_000;
export const IDLE_INTERVALS = 5;
export const RETRY_MIN_MS = 500;
export const RETRY_MAX_MS = 10_000;
/** The X-Perfscope-Host header is read up to this many characters. */
const MAX_HOST_HEADER = 64 * 1024;

/** The remote's host, from its stream's X-Perfscope-Host header (checked; escaped). */
export interface RemoteHost {
  readonly hostname: string;
  readonly kernel: string;
  readonly cpus: readonly number[];
  readonly intervalS: number;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** How to reach an HTTP(S) server: basic auth and TLS trust (shared with fleet's Prometheus client). */
export interface HttpClientOptions {
  readonly credentials: Credentials | null;
  /** PEM of the CA that signs the server's certificate (else the system's). */
  readonly ca: string | null;
  /** Do not verify the server's certificate (--insecure). */
  readonly insecure: boolean;
}

export class RemoteFatalError extends Error {}

/** Node's request options for `url` with the client options (Authorization, CA, verification). */
export function requestOptions(url: URL, o: HttpClientOptions): https.RequestOptions {
  const headers: Record<string, string> = {};
  if (o.credentials) headers.Authorization = `Basic ${Buffer.from(`${o.credentials.user}:${o.credentials.password}`, 'utf8').toString('base64')}`;
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false,
    ...(url.protocol === 'https:' ? { ca: o.ca ?? undefined, rejectUnauthorized: !o.insecure } : {}),
  };
}

/** TLS errors that retrying does not mend (the certificate does not verify). */
const TLS_FATAL = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH/;

/** A connection error in a few words, and whether retrying may help. */
export function describeClientError(e: NodeJS.ErrnoException): { message: string; fatal: boolean } {
  const code = e.code ?? '';
  if (TLS_FATAL.test(code)) return { message: `TLS: the server's certificate does not verify (${code}; --ca-file gives its CA)`, fatal: true };
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'timed out',
    EPROTO: 'not TLS, or TLS refused',
  };
  return { message: why[code] ?? (e.message.split('\n')[0] || code), fatal: false };
}

/** The host header: JSON of {hostname, kernel, cpus, interval_s}; anything else gives null. */
export function parseHostHeader(v: string | undefined): RemoteHost | null {
  if (!v || v.length > MAX_HOST_HEADER) return null;
  let o: unknown;
  try {
    o = JSON.parse(v);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null) return null;
  const h = o as Record<string, unknown>;
  const cpus = Array.isArray(h.cpus) ? h.cpus.filter((c): c is number => Number.isSafeInteger(c) && (c as number) >= 0 && (c as number) < 65536) : [];
  const iv = typeof h.interval_s === 'number' && h.interval_s >= 0.1 && h.interval_s <= 3600 ? h.interval_s : 1;
  return {
    hostname: escapeText(typeof h.hostname === 'string' ? h.hostname.slice(0, 256) : '?'),
    kernel: escapeText(typeof h.kernel === 'string' ? h.kernel.slice(0, 256) : '?'),
    cpus: cpus.slice(0, 4096),
    intervalS: iv,
  };
}

export interface RemoteSourceOptions extends HttpClientOptions {
  readonly url: URL;
  readonly sinks: readonly Sink[];
  /** The remote's host, at every connection. */
  readonly onHost?: (h: RemoteHost) => void;
  /** Connected, or not (with why and when it tries again). */
  readonly onState?: (connected: boolean, message: string | null) => void;
  /** What retrying cannot mend: one line. The source has stopped. */
  readonly onFatal: (message: string) => void;
}

export class RemoteSource {
  private req: http.ClientRequest | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idle: NodeJS.Timeout | null = null;
  private stopped = false;
  private backoff = RETRY_MIN_MS;
  private readonly prevHealth = new Map<string, string>();
  private intervalMs = 1000;
  /** Lines received, and skipped because they failed the checks. */
  received = 0;
  skipped = 0;

  constructor(
    private readonly cat: Catalogue,
    private readonly o: RemoteSourceOptions,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idle) clearTimeout(this.idle);
    this.req?.destroy();
    this.req = null;
  }

  private fatal(message: string): void {
    if (this.stopped) return;
    this.stop();
    this.o.onFatal(message);
  }

  /** Drop this connection (if it is still the current one) and try again after the back-off. */
  private retry(req: http.ClientRequest, why: string): void {
    if (this.stopped || this.req !== req) return;
    this.req = null;
    req.destroy();
    if (this.idle) clearTimeout(this.idle);
    const wait = this.backoff;
    this.backoff = Math.min(RETRY_MAX_MS, this.backoff * 2);
    this.o.onState?.(false, `${escapeText(why)}; retrying in ${(wait / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, wait);
  }

  private armIdle(req: http.ClientRequest): void {
    if (this.idle) clearTimeout(this.idle);
    const ms = Math.max(MIN_IDLE_MS, IDLE_INTERVALS * this.intervalMs);
    this.idle = setTimeout(() => this.retry(req, `no interval for ${Math.round(ms / 1000)} s`), ms);
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.o.url;
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request({ ...requestOptions(url, this.o), method: 'GET', timeout: CONNECT_TIMEOUT_MS });
    req.setHeader('Accept', 'application/x-ndjson');
    this.req = req;
    req.on('timeout', () => this.retry(req, `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const d = describeClientError(e);
      if (d.fatal) this.fatal(`${url.origin}: ${d.message}`);
      else this.retry(req, d.message);
    });
    req.on('response', (res) => {
      if (this.req !== req) return void res.destroy();
      const status = res.statusCode ?? 0;
      if (status === 401 || status === 403) {
        res.destroy();
        return this.fatal(
          `${url.origin}: ${this.o.credentials ? 'wrong credentials' : 'the remote asks for credentials (--user, and the password in PERFSCOPE_PASSWORD or --password-file)'} (HTTP ${status})`,
        );
      }
      if (status === 404) {
        res.destroy();
        return this.fatal(`${escapeText(url.href)}: no stream there (HTTP 404; a perfscope --listen serves /stream)`);
      }
      if (status !== 200) return this.retry(req, `HTTP ${status}`);
      const host = parseHostHeader(res.headers['x-perfscope-host'] as string | undefined);
      if (!host) {
        res.destroy();
        return this.fatal(`${escapeText(url.href)}: not a perfscope stream (no X-Perfscope-Host header)`);
      }
      this.intervalMs = host.intervalS * 1000;
      req.setTimeout(0);
      this.o.onHost?.(host);
      this.o.onState?.(true, null);
      this.armIdle(req);
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (d: string) => {
        if (this.req !== req) return;
        buf += d;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.line(line);
          if (this.req !== req) return;
          nl = buf.indexOf('\n');
        }
        if (buf.length > MAX_REMOTE_LINE_BYTES) this.retry(req, `a line longer than ${MAX_REMOTE_LINE_BYTES} bytes`);
        else this.armIdle(req);
      });
      res.on('end', () => this.retry(req, 'the remote closed the stream'));
      res.on('error', (e: NodeJS.ErrnoException) => this.retry(req, describeClientError(e).message));
    });
    req.end();
  }

  private line(text: string): void {
    if (text.trim() === '') return;
    this.received++;
    const c = checkRecord(this.cat, text);
    if (!c.ok) {
      this.skipped++;
      return;
    }
    this.backoff = RETRY_MIN_MS;
    const iv: Interval = intervalFromJson(this.cat, c.line);
    deliver(this.cat, iv, this.o.sinks, this.prevHealth);
  }
}

/**
 * The URL --connect takes: http:// or https://, a host, and the stream's path (`/stream` when
 * none is given). Credentials in it are refused (they would sit in argv and the shell's history).
 */
export function parseConnectUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`--connect: '${text}' is not a URL (e.g. https://host:9100)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--connect: the URL must be http:// or https://, got ${u.protocol}`);
  if (u.username || u.password) throw new Error('--connect: no credentials in the URL; give --user and the password in PERFSCOPE_PASSWORD or --password-file');
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/stream';
  return u;
}
