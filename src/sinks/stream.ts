// The live stream beside /metrics (GET /stream): the --json line of every interval, exactly as the
// --json sink writes it (the interval codec's intervalChunks), sent to every client that holds
// the stream open, as NDJSON over one HTTP response (chunked). `perfscope --connect URL` reads it.
// Bounds: at most MAX_STREAMS clients at once (the server answers 503 past it); a client that does
// not read fast enough is not queued for without end: before each line the hub looks at what
// that client's socket has not taken yet and, above STREAM_BACKLOG_MAX_BYTES, drops the whole
// line for that client (the others get it; the lines it does get stay whole) and counts it
// (perfscope_http_stream_lines_dropped_total); a client that has taken nothing for
// STREAM_STALL_MS while lines were being dropped is disconnected (counted as reason="stalled").
// Nothing is built when no client listens.
import type { Catalogue, Interval } from '../catalogue/catalogue.js';
import { intervalChunks } from '../catalogue/codec.js';
import type { Sink } from '../catalogue/sink.js';

/** Concurrent stream clients at most; the next gets 503. */
export const MAX_STREAMS = 8;
/** Bytes a client's socket may hold unread before its lines are dropped: a few of the largest lines. */
export const STREAM_BACKLOG_MAX_BYTES = 16 * 1024 * 1024;
/** A client that takes nothing for this long while its lines are dropped is disconnected. */
export const STREAM_STALL_MS = 30_000;

/** What the hub needs of a client's response (node's http.ServerResponse). */
export interface StreamClient {
  readonly writableLength: number;
  write(chunk: string): boolean;
  destroy(): void;
}

interface Entry {
  readonly client: StreamClient;
  /** When lines began to be dropped for it (null: it keeps up). */
  droppingSince: number | null;
}

export interface StreamStats {
  readonly clients: number;
  readonly linesSent: number;
  readonly linesDropped: number;
  readonly stalled: number;
  /** The most bytes a client's socket held unread after a line was written to it (at most the bound plus one line). */
  readonly maxBacklog: number;
}

/** The host a stream comes from, sent once in the response's X-Perfscope-Host header. */
export interface StreamHost {
  readonly hostname: string;
  readonly kernel: string;
  readonly cpus: readonly number[];
  readonly interval_s: number;
}

export class StreamHub implements Sink {
  readonly name = 'stream';
  private readonly clients = new Set<Entry>();
  private sent = 0;
  private dropped = 0;
  private stalledCount = 0;
  private maxBacklog = 0;

  constructor(
    private readonly cat: Catalogue,
    readonly host: StreamHost,
    private readonly backlogMax = STREAM_BACKLOG_MAX_BYTES,
    private readonly stallMs = STREAM_STALL_MS,
  ) {}

  /** Room for one more client? */
  full(): boolean {
    return this.clients.size >= MAX_STREAMS;
  }

  /** Send it every interval from now on, until `remove` (the response closed). */
  add(client: StreamClient): () => void {
    const e: Entry = { client, droppingSince: null };
    this.clients.add(e);
    return () => this.clients.delete(e);
  }

  interval(iv: Interval): void {
    if (this.clients.size === 0) return;
    // Built once for all the clients, in the pieces the codec makes.
    const chunks = [...intervalChunks(this.cat, iv)];
    const now = Date.now();
    for (const e of [...this.clients]) {
      if (e.client.writableLength > this.backlogMax) {
        this.dropped++;
        e.droppingSince ??= now;
        if (now - e.droppingSince >= this.stallMs) {
          this.stalledCount++;
          this.clients.delete(e);
          e.client.destroy();
        }
        continue;
      }
      e.droppingSince = null;
      for (const c of chunks) e.client.write(c);
      this.sent++;
      this.maxBacklog = Math.max(this.maxBacklog, e.client.writableLength);
    }
  }

  stats(): StreamStats {
    return { clients: this.clients.size, linesSent: this.sent, linesDropped: this.dropped, stalled: this.stalledCount, maxBacklog: this.maxBacklog };
  }

  /** Ends every stream (the server closes). */
  close(): void {
    for (const e of this.clients) e.client.destroy();
    this.clients.clear();
  }
}

/** The host header's value: JSON with every non-ASCII character as \uXXXX (a header is Latin-1). */
export function hostHeader(h: StreamHost): string {
  return JSON.stringify(h).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
