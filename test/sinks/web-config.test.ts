// The web config (exporter-toolkit's format) and what the endpoint does with it, in process:
// real files, a certificate authority and certificates made by openssl, bcrypt hashes made by
// htpasswd, real TLS connections to startMetricsServer (the PrometheusSink of the catalogue as
// the source), and the parser under fast-check (whatever the text, a WebConfigError or a config).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { AUTH_CACHE_SIZE, BasicAuth, parseBasic } from '../../src/sinks/basic-auth.js';
import { unsafeCodePoint } from '../../src/probes/strings.js';
import { PrometheusSink } from '../../src/sinks/prometheus.js';
import { HANDSHAKE_TIMEOUT_MS, type MetricsServer, startMetricsServer } from '../../src/sinks/prometheus-http.js';
import { loadWebConfig, parseGoDuration, parseWebConfig, WebConfigError } from '../../src/sinks/web-config.js';

let dir = '';
const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
const bcryptOf = (pass: string, cost = 4) => {
  const l = execFileSync('htpasswd', ['-nbBC', String(cost), 'u', pass], { encoding: 'utf8' }).trim();
  return l.slice(l.indexOf(':') + 1);
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'perfscope-webcfg-unit-'));
  mkdirSync(join(dir, 'pki'));
  // A CA, a server certificate for 127.0.0.1 and two client certificates signed by it, one per SAN
  // (P-256 keys: made in milliseconds, where RSA keys took seconds on a loaded machine).
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    'pki/ca.key',
    '-out',
    'pki/ca.pem',
  );
  const leaf = (name: string, san: string, ext: string) => {
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `pki/${name}.key`,
      '-out',
      `pki/${name}.csr`,
    );
    writeFileSync(join(dir, `pki/${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${ext}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      `pki/${name}.csr`,
      '-CA',
      'pki/ca.pem',
      '-CAkey',
      'pki/ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `pki/${name}.ext`,
      '-out',
      `pki/${name}.pem`,
    );
  };
  leaf('server', 'IP:127.0.0.1', 'serverAuth');
  leaf('alice', 'DNS:alice.example', 'clientAuth');
  leaf('mallory', 'DNS:mallory.example', 'clientAuth');
  // A client certificate from a CA the server does not trust.
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=stranger',
    '-addext',
    'subjectAltName=DNS:alice.example',
    '-keyout',
    'pki/stranger.key',
    '-out',
    'pki/stranger.pem',
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const servers: MetricsServer[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

describe('parseWebConfig', () => {
  it('an empty file: plain HTTP, no users, no headers (as exporter-toolkit)', () => {
    const c = parseWebConfig('', dir);
    expect([c.tls, c.users.size, c.headers, c.rateLimit]).toEqual([null, 0, {}, null]);
  });

  it('file names are relative to the file, inline PEM works, the Go names map to OpenSSL names', () => {
    writeFileSync(
      join(dir, 'pki/web.yml'),
      [
        'tls_server_config:',
        '  cert_file: server.pem',
        '  key_file: server.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: ca.pem',
        '  min_version: TLS13',
        '  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]',
        '  curve_preferences: [X25519, CurveP256]',
        'http_server_config:',
        '  http2: false',
        '  headers: { Strict-Transport-Security: max-age=31536000, X-Content-Type-Options: nosniff }',
        'rate_limit: { interval: 250ms, burst: 5 }',
      ].join('\n'),
    );
    const c = loadWebConfig(join(dir, 'pki/web.yml'));
    expect(c.tls?.cert.toString()).toBe(readFileSync(join(dir, 'pki/server.pem'), 'utf8'));
    expect(c.tls?.ca?.toString()).toBe(readFileSync(join(dir, 'pki/ca.pem'), 'utf8'));
    expect([c.tls?.clientAuth, c.tls?.minVersion, c.tls?.maxVersion, c.tls?.ciphers?.split(':')[0], c.tls?.ecdhCurve]).toEqual([
      'RequireAndVerifyClientCert',
      'TLSv1.3',
      'TLSv1.3',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'X25519:P-256',
    ]);
    expect(c.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000', 'X-Content-Type-Options': 'nosniff' });
    expect(c.rateLimit).toEqual({ intervalMs: 250, burst: 5 });
    const inline = parseWebConfig(
      `tls_server_config:\n  cert: |\n${readFileSync(join(dir, 'pki/server.pem'), 'utf8').replace(/^/gm, '    ')}\n  key: |\n${readFileSync(join(dir, 'pki/server.key'), 'utf8').replace(/^/gm, '    ')}\n`,
      '/nonexistent',
    );
    expect(inline.tls?.key.toString()).toContain('PRIVATE KEY');
  });

  it.each([
    ['foo: 1', /unknown field 'foo'/],
    ['tls_server_config: 3', /tls_server_config must be a mapping/],
    ['tls_server_config:\n  client_auth_type: Sometimes', /client_auth_type: 'Sometimes' is not one of/],
    ['tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert', /needs client_ca_file/],
    [
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]',
      /unknown cipher suite 'TLS_RSA_WITH_RC4_128_SHA'/,
    ],
    ['tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12', /min_version is above max_version/],
    ['tls_server_config:\n  cert_file: server.pem\n  cert: x\n  key_file: server.key', /either cert or cert_file/],
    ['tls_server_config:\n  cert_file: .\n  key_file: server.key', /not a regular file/],
    ['http_server_config:\n  headers:\n    X-Frame-Options: allow-from x', /X-Frame-Options: 'allow-from x' is not one of deny, sameorigin/],
    ['http_server_config:\n  http2: maybe', /http2 must be true or false/],
    ['basic_auth_users: [a, b]', /basic_auth_users must be a mapping/],
    ['basic_auth_users:\n  a: 12', /basic_auth_users\.a: not a bcrypt hash/],
    ['rate_limit: { interval: soon }', /rate_limit\.interval: 'soon' is not a duration/],
    ['a: 1\na: 2', /not valid YAML: .*unique/i],
    ['x: *nope', /not valid YAML/],
  ])('%j: a WebConfigError of one line', (text, re) => {
    let err: unknown;
    try {
      parseWebConfig(text, join(dir, 'pki'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebConfigError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
  });

  it('Go durations', () => {
    expect([parseGoDuration('1s'), parseGoDuration('250ms'), parseGoDuration('1m30s'), parseGoDuration('0'), parseGoDuration('1.5h')]).toEqual([
      1000, 250, 90_000, 0, 5_400_000,
    ]);
    for (const bad of ['', '1', 's', '1x', '1s2']) expect(() => parseGoDuration(bad)).toThrow(WebConfigError);
  });

  it('fast-check: any text is a config or one WebConfigError line (quoted text escaped), never another exception', () => {
    const yamlish = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(
          fc.tuple(
            fc.constantFrom(
              'tls_server_config',
              'http_server_config',
              'basic_auth_users',
              'rate_limit',
              'cert_file',
              'headers',
              'http2',
              'u',
              '- x',
              '&a',
              '*a',
              '? k',
              '!!binary',
            ),
            fc.constantFrom(': ', ':', ' ', ': [', ': {', ': |\n  ', ': !!map ', ': 0x10'),
            fc.string({ maxLength: 30 }),
            fc.constantFrom('', '  ', '    '),
          ),
          { maxLength: 8 },
        )
        .map((ls) => ls.map(([k, sep, v, ind]) => `${ind}${k}${sep}${v}`).join('\n')),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          const c = parseWebConfig(text, join(dir, 'pki'));
          return typeof c === 'object' && c.users instanceof Map;
        } catch (e) {
          // One line, and what it quotes from the file escaped (no control, C1 or bidi character).
          return e instanceof WebConfigError && ![...e.message].some((c) => c.codePointAt(0)! < 0x20 || unsafeCodePoint(c.codePointAt(0)!));
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});

describe('BasicAuth', () => {
  const hdr = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('the right password passes, a wrong one or an unknown user does not; the verdict is cached, bcrypt paid once', async () => {
    const auth = new BasicAuth(new Map([['alice', bcryptOf('s3cret')]]));
    expect(await auth.check(hdr('alice', 's3cret'))).toBe('ok');
    expect(await auth.check(hdr('alice', 'wrong'))).toBe('denied');
    expect(await auth.check(hdr('bob', 's3cret'))).toBe('denied');
    expect(await auth.check(undefined)).toBe('denied');
    expect(await auth.check('Bearer abc')).toBe('denied');
    const runs = auth.bcryptRuns;
    expect(runs).toBe(3);
    // Cached: answered at once (not a promise), bcrypt not run again.
    expect(auth.check(hdr('alice', 's3cret'))).toBe('ok');
    expect(auth.check(hdr('alice', 'wrong'))).toBe('denied');
    expect(auth.bcryptRuns).toBe(runs);
    // A password longer than bcrypt reads is refused, not truncated.
    const long = 'x'.repeat(72);
    const a2 = new BasicAuth(new Map([['alice', bcryptOf(long)]]));
    expect(await a2.check(hdr('alice', long))).toBe('ok');
    expect(await a2.check(hdr('alice', `${long}y`))).toBe('denied');
  });

  it(`the cache holds at most ${AUTH_CACHE_SIZE} verdicts; more than 2 checks at once are answered busy`, async () => {
    const auth = new BasicAuth(new Map([['alice', bcryptOf('pw')]]));
    for (let i = 0; i < AUTH_CACHE_SIZE + 20; i += 2) await Promise.all([auth.check(hdr('alice', `guess${i}`)), auth.check(hdr('alice', `guess${i + 1}`))]);
    expect((auth as unknown as { cache: Map<string, boolean> }).cache.size).toBe(AUTH_CACHE_SIZE);
    const pending = [auth.check(hdr('alice', 'a1')), auth.check(hdr('alice', 'a2'))];
    expect(auth.check(hdr('alice', 'a3'))).toBe('busy');
    await Promise.all(pending);
    expect(await auth.check(hdr('alice', 'pw'))).toBe('ok');
  });

  it('parseBasic', () => {
    expect(parseBasic(hdr('a', 'b:c'))).toEqual({ user: 'a', password: 'b:c' });
    expect(parseBasic(`basic   ${Buffer.from('x:').toString('base64')}`)).toEqual({ user: 'x', password: '' });
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasic('Basic !!!')).toBeNull();
    expect(parseBasic('Basic')).toBeNull();
  });
});

describe('client certificates (client_auth_type, client_allowed_sans) on a real TLS server', () => {
  /** GET /metrics with a client certificate (or none): the status, or the error's code. */
  const get = (port: number, who: string | null) =>
    new Promise<number | string>((resolve) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port,
          path: '/metrics',
          agent: false,
          ca: readFileSync(join(dir, 'pki/ca.pem')),
          ...(who ? { cert: readFileSync(join(dir, `pki/${who}.pem`)), key: readFileSync(join(dir, `pki/${who}.key`)) } : {}),
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  const serve = async (yml: string) => {
    writeFileSync(join(dir, 'pki/mtls.yml'), `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n${yml}`);
    const s = await startMetricsServer(
      { host: '127.0.0.1', port: 0 },
      new PrometheusSink(CATALOGUE, { top: 5, node: false }),
      loadWebConfig(join(dir, 'pki/mtls.yml')),
    );
    servers.push(s);
    return Number(s.address.split(':').pop());
  };

  it('RequireAndVerifyClientCert: a certificate of the CA passes; none, or one of another CA, does not', async () => {
    const port = await serve('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n');
    expect(await get(port, 'alice')).toBe(200);
    expect(await get(port, null)).not.toBe(200);
    expect(await get(port, 'stranger')).not.toBe(200);
  });

  it('client_allowed_sans: only the certificate with an allowed SAN passes', async () => {
    const port = await serve('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: [alice.example]\n');
    expect(await get(port, 'alice')).toBe(200);
    expect(await get(port, 'mallory')).not.toBe(200);
  });

  it('VerifyClientCertIfGiven: none passes, a verified one passes, an unverified one does not; RequireAnyClientCert: any, not none', async () => {
    const ifGiven = await serve('  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n');
    expect(await get(ifGiven, null)).toBe(200);
    expect(await get(ifGiven, 'alice')).toBe(200);
    expect(await get(ifGiven, 'stranger')).not.toBe(200);
    const any = await serve('  client_auth_type: RequireAnyClientCert\n');
    expect(await get(any, 'stranger')).toBe(200);
    expect(await get(any, null)).not.toBe(200);
  });

  it('a TLS handshake that never ends (nothing sent, or half a ClientHello) is closed within the handshake timeout', async () => {
    const port = await serve('');
    const hold = (first: Buffer | null) =>
      new Promise<number>((resolve) => {
        const t0 = Date.now();
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          if (first) s.write(first);
        });
        s.on('error', () => {});
        s.on('close', () => resolve(Date.now() - t0));
        s.resume();
        setTimeout(() => s.destroy(), 30_000);
      });
    // A TLS record header announcing a 512-byte handshake message, then 5 bytes of it.
    const half = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]);
    const [a, b] = await Promise.all([hold(null), hold(half)]);
    // Closed by the server, not by the 30 s guard (the bound plus generous slack for a loaded machine).
    expect(a).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 10_000);
    expect(b).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 10_000);
  }, 40_000);

  it('rate_limit: beyond the burst, 429', async () => {
    const port = await serve('rate_limit:\n  interval: 1h\n  burst: 2\n');
    expect([await get(port, null), await get(port, null), await get(port, null)]).toEqual([200, 200, 429]);
  });
});
