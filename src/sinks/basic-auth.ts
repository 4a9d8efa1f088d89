// HTTP basic authentication against bcrypt hashes (basic_auth_users of --web-config), as
// exporter-toolkit does it: the verdict for a (user, password) pair is cached so that a scraper
// pays bcrypt once, not per scrape; the cache is bounded (AUTH_CACHE_SIZE verdicts, the oldest
// dropped first) and keyed by a SHA-256 of user, hash and password, so it holds no password.
// Users are looked up in constant time (every name compared, by digest, with timingSafeEqual),
// and an unknown user costs a bcrypt against a dummy hash, so timing tells no user names.
// bcrypt runs asynchronously (bcryptjs yields between rounds) and at most
// MAX_BCRYPT_IN_FLIGHT at once: beyond that a request is answered 503 at once, so guessed
// passwords cannot starve the probes' intervals of CPU.
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const AUTH_CACHE_SIZE = 100;
export const MAX_BCRYPT_IN_FLIGHT = 2;
/** bcrypt reads at most 72 bytes; a longer password is refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;

// A hash of a password nobody knows (cost 10, as a real one): what an unknown user is checked against.
const DUMMY_HASH = '$2y$10$sSKzlQ4BwYvfqY6UVnZu.u3lGP.X8huqDHznxsT1eS5EOQRpBsfmi';

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

export type AuthVerdict = 'ok' | 'denied' | 'busy';

export class BasicAuth {
  private readonly users: { name: Buffer; hash: string }[];
  private readonly cache = new Map<string, boolean>();
  private inFlight = 0;
  /** Counters, for the docs and the tests: bcrypt runs, cache hits, requests refused as busy. */
  bcryptRuns = 0;
  cacheHits = 0;
  busy = 0;

  constructor(users: ReadonlyMap<string, string>) {
    this.users = [...users].map(([name, hash]) => ({ name: digest(name), hash }));
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** The verdict for an Authorization header: at once from the cache, else after bcrypt. */
  check(header: string | undefined): AuthVerdict | Promise<AuthVerdict> {
    const cred = parseBasic(header);
    if (!cred) return 'denied';
    const { user, password } = cred;
    const nameDigest = digest(user);
    let hash = DUMMY_HASH;
    let known = false;
    for (const u of this.users) {
      // Every entry compared, whatever matched: the time does not depend on where a name is.
      if (timingSafeEqual(u.name, nameDigest) && !known) {
        hash = u.hash;
        known = true;
      }
    }
    if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return 'denied';
    const key = digest(`${user}\0${hash}\0${password}`).toString('hex');
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cacheHits++;
      return hit && known ? 'ok' : 'denied';
    }
    if (this.inFlight >= MAX_BCRYPT_IN_FLIGHT) {
      this.busy++;
      return 'busy';
    }
    this.inFlight++;
    this.bcryptRuns++;
    return bcrypt.compare(password, hash).then(
      (ok) => {
        this.inFlight--;
        this.remember(key, ok);
        return ok && known ? 'ok' : 'denied';
      },
      () => {
        this.inFlight--;
        return 'denied' as const;
      },
    );
  }

  private remember(key: string, ok: boolean): void {
    if (this.cache.size >= AUTH_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, ok);
  }
}

/** user and password of "Basic base64(user:password)", or null. */
export function parseBasic(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
