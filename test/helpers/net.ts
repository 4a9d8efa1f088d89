// Waiting on servers in tests: a free loopback port, and a poll until something holds (the
// Prometheus, web-config, stream and fleet tests start real servers and wait for them).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls f every `every` ms until it gives a value (not undefined or false); throws after `ms` with the last error. */
export async function waitFor<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms: number, every = 200): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(every);
  }
}

/** A TCP port free on `host` now (the kernel's choice for port 0, released again). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A self-signed certificate for `host` in DIR/tls (cert.pem, key.pem, made by openssl) and a
 * bcrypt hash of `pass` made by htpasswd: what a --web-config with TLS and basic auth needs.
 * Returns the hash (the config names the files relative to its own directory: tls/cert.pem).
 */
export function makeTlsAuth(dir: string, host: string, user: string, pass: string): string {
  mkdirSync(join(dir, 'tls'), { recursive: true });
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=perfscope-test', '-addext', `subjectAltName=IP:${host}`];
  execFileSync('openssl', [...args, '-keyout', join(dir, 'tls/key.pem'), '-out', join(dir, 'tls/cert.pem')], { stdio: 'ignore' });
  const line = execFileSync('htpasswd', ['-nbBC', '10', user, pass], { encoding: 'utf8' }).trim();
  return line.slice(line.indexOf(':') + 1);
}
