// Container names from the runtime's Docker-compatible API (what `docker` serves, and `podman
// system service`): GET /containers/json?all=true over its unix socket lists every container's
// id and names. Looked up off the screen's thread: a request is asynchronous (Node's http client
// on the socket), at most one at a time, at most once per `minGapMs` (2 s), started when a
// container id is asked for that the last answer did not have; whoever asks meanwhile gets null
// (and shows the id). Everything from the socket is untrusted: the request is abandoned after
// `timeoutMs` (1 s) whatever the server does (no answer, a slow drip), the body is cut at
// RUNTIME_BODY_MAX bytes (then dropped), anything that is not the expected JSON is ignored and
// counted, names are escaped and cut at RUNTIME_NAME_MAX characters, and at most
// RUNTIME_NAMES_MAX containers are kept. Without a socket there is no request at all.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { escapeBytes } from '../strings.js';

/** Bytes of an answer read at most (a larger one is dropped and counted as an error). */
export const RUNTIME_BODY_MAX = 4 * 1024 * 1024;
/** Containers whose names are kept at most. */
export const RUNTIME_NAMES_MAX = 10_000;
/** Characters of a name kept at most. */
export const RUNTIME_NAME_MAX = 128;

/** The sockets tried when none is given: podman's (as root), then docker's. */
export const DEFAULT_RUNTIME_SOCKETS: readonly string[] = ['/run/podman/podman.sock', '/var/run/docker.sock'];

export interface RuntimeNamesStats {
  requests: number;
  errors: number;
  /** The last error, one line (null after a good answer). */
  lastError: string | null;
  names: number;
}

export class RuntimeNames {
  private names = new Map<string, string>();
  private inFlight = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  private readonly stats_: RuntimeNamesStats = { requests: 0, errors: 0, lastError: null, names: 0 };
  private waiters: (() => void)[] = [];
  /** Bumped by every answer taken: names may have changed. */
  version = 0;

  constructor(
    /** Sockets to try, the first that exists is asked; empty: never ask. */
    private readonly sockets: readonly string[] = DEFAULT_RUNTIME_SOCKETS,
    private readonly timeoutMs = 1000,
    private readonly minGapMs = 2000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The name of the container whose id is (or starts with) `id`, or null now (a lookup may start). */
  nameOf(id: string): string | null {
    const n = this.names.get(id) ?? this.byPrefix(id);
    if (n !== null) return n;
    this.lookup();
    return null;
  }

  /** Container ids (full) whose name is `name`, as of the last answer. */
  idsNamed(name: string): string[] {
    const out: string[] = [];
    for (const [id, n] of this.names) if (n === name) out.push(id);
    return out;
  }

  /** Every known container id. */
  ids(): string[] {
    return [...this.names.keys()];
  }

  stats(): RuntimeNamesStats {
    return { ...this.stats_, names: this.names.size };
  }

  /** Resolves when no lookup is in flight (tests). */
  idle(): Promise<void> {
    return this.inFlight ? new Promise((r) => this.waiters.push(r)) : Promise.resolve();
  }

  private byPrefix(id: string): string | null {
    if (id.length < 12) return null;
    for (const [full, n] of this.names) if (full.startsWith(id) || id.startsWith(full)) return n;
    return null;
  }

  /**
   * Ask the socket now unless a request is in flight or the last one began less than minGapMs
   * ago (force: ignore the gap); `timeoutMs`: this request's own limit (the command line waits
   * longer for the first answer, before anything runs, than a refresh may take).
   */
  lookup(force = false, timeoutMs = this.timeoutMs): void {
    if (this.inFlight) return;
    const t = this.now();
    if (!force && t - this.lastStart < this.minGapMs) return;
    // The gap also bounds the look for a socket (a decoder asks for every event of an unnamed container).
    this.lastStart = t;
    const socket = this.sockets.find((s) => existsSync(s));
    if (!socket) return;
    this.inFlight = true;
    this.stats_.requests++;
    let done = false;
    const finish = (err: string | null, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err === null && body) err = this.take(body);
      if (err !== null) {
        this.stats_.errors++;
        this.stats_.lastError = err;
      } else this.stats_.lastError = null;
      this.inFlight = false;
      for (const w of this.waiters.splice(0)) w();
    };
    const req = request({ socketPath: socket, path: '/containers/json?all=true', method: 'GET', headers: { host: 'localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > RUNTIME_BODY_MAX) {
          req.destroy();
          finish(`${socket}: answer larger than ${RUNTIME_BODY_MAX} bytes`);
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => finish(res.statusCode === 200 ? null : `${socket}: HTTP ${res.statusCode}`, Buffer.concat(chunks)));
      res.on('error', (e) => finish(`${socket}: ${e.message}`));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(`${socket}: no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    req.on('error', (e) => finish(`${socket}: ${e.message}`));
    req.end();
  }

  /** Take an answer: null, or why it was not used. */
  private take(body: Buffer): string | null {
    let list: unknown;
    try {
      list = JSON.parse(body.toString('utf8'));
    } catch {
      return 'the runtime socket did not answer JSON';
    }
    if (!Array.isArray(list)) return 'the runtime socket did not answer a list';
    const names = new Map<string, string>();
    for (const c of list) {
      if (names.size >= RUNTIME_NAMES_MAX) break;
      if (!c || typeof c !== 'object') continue;
      const { Id, Names } = c as { Id?: unknown; Names?: unknown };
      if (typeof Id !== 'string' || !/^[0-9a-f]{12,64}$/.test(Id)) continue;
      const first = Array.isArray(Names) ? Names.find((n) => typeof n === 'string') : undefined;
      if (typeof first !== 'string') continue;
      const name = escapeBytes(Buffer.from(first.replace(/^\//, ''), 'utf8')).slice(0, RUNTIME_NAME_MAX);
      if (name) names.set(Id, name);
    }
    this.names = names;
    this.version++;
    return null;
  }
}
