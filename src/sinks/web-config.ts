// --web-config FILE: the web configuration file of Prometheus' exporter-toolkit (the file
// node_exporter takes with --web.config.file), read once at start. What Node can honour is
// honoured: tls_server_config (cert/key, inline or as files, client certificates with
// client_auth_type/client_ca_file/client_allowed_sans, min/max version, TLS 1.2 cipher suites,
// server cipher order, curves), http_server_config.headers, basic_auth_users (bcrypt hashes) and
// rate_limit. http_server_config.http2 is accepted and ignored: the endpoint speaks HTTP/1.1 only
// (a client offering h2 over ALPN falls back to HTTP/1.1, as Prometheus does).
// As exporter-toolkit does: an unknown key is an error, file names are relative to the file's
// directory, a config without a certificate serves plain HTTP (basic auth still applies).
// Every error is one line (WebConfigError). The YAML is parsed by the `yaml` package.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parseDocument } from 'yaml';
import { escapeBytes } from '../probes/strings.js';
import { secureContextOptions, type ServerTls } from './web-tls.js';

export class WebConfigError extends Error {}

/** exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The headers exporter-toolkit lets a config set, and the values it accepts (null: any). */
const HEADERS: Record<string, readonly string[] | null> = {
  'Content-Security-Policy': null,
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-Content-Type-Options': ['nosniff'],
  'X-XSS-Protection': null,
  'Strict-Transport-Security': null,
};

const VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Go's cipher suite names (crypto/tls, TLS up to 1.2) as OpenSSL names them. */
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};
/** TLS 1.3 suites: accepted in cipher_suites and, as in Go, not configurable (all stay on). */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Go's curve names (tls.CurveID) as OpenSSL names them. */
const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** Bounds on what is read: the config file and each PEM file. */
export const MAX_WEB_CONFIG_BYTES = 1 << 20;
export const MAX_PEM_BYTES = 1 << 20;
/** At most this many basic-auth users (exporter-toolkit sets none; this only bounds the start). */
export const MAX_BASIC_AUTH_USERS = 1000;

export interface WebTls extends ServerTls {
  clientAuth: ClientAuthType;
  /** Subject alternative names one of which a client certificate must carry (empty: any). */
  clientAllowedSans: string[];
}

export interface WebConfig {
  /** Where it was read from (for messages). */
  file: string;
  /** TLS, or null for plain HTTP. */
  tls: WebTls | null;
  /** Headers added to every response. */
  headers: Record<string, string>;
  /** user → bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
  /** A token bucket over every request, or null. */
  rateLimit: { intervalMs: number; burst: number } | null;
}

type Obj = Record<string, unknown>;

/** Text from the file as an error quotes it: escaped as every untrusted string is (probes/strings.ts), at most 80 characters. */
function q(s: string): string {
  return escapeBytes(Buffer.from(s.length > 80 ? `${s.slice(0, 80)}…` : s));
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The mapping at `path`, its keys checked against `allowed`; null/absent is an empty mapping. */
function section(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new WebConfigError(`${path} must be a mapping`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new WebConfigError(`unknown field '${path ? `${path}.` : ''}${q(k)}'`);
  return v;
}

function str(o: Obj, k: string, path: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new WebConfigError(`${path}.${k} must be a string`);
  return v;
}

function bool(o: Obj, k: string, path: string, dflt: boolean): boolean {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new WebConfigError(`${path}.${k} must be true or false`);
  return v;
}

function strList(o: Obj, k: string, path: string): string[] {
  const v = o[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new WebConfigError(`${path}.${k} must be a list of strings`);
  return v as string[];
}

/** A file, bounded: a directory, a missing file or an oversized one is a one-line error. */
function readBounded(file: string, what: string, max: number): Buffer {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new WebConfigError(`${what} ${file}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof WebConfigError) throw e;
    throw new WebConfigError(`${what} ${file}: ${describeFsError(e)}`);
  }
  if (size > max) throw new WebConfigError(`${what} ${file}: larger than ${max} bytes`);
  try {
    const b = readFileSync(file);
    if (b.length > max) throw new WebConfigError(`${what} ${file}: larger than ${max} bytes`);
    return b;
  } catch (e) {
    if (e instanceof WebConfigError) throw e;
    throw new WebConfigError(`${what} ${file}: ${describeFsError(e)}`);
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return String((e as Error).message ?? e).split('\n')[0];
}

/** A Go duration ("1s", "250ms", "1m30s", "0") in milliseconds. */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    ms += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  if (at === 0 || at !== s.length) throw new WebConfigError(`'${q(s)}' is not a duration (e.g. 1s, 250ms)`);
  return ms;
}

function parseTls(raw: unknown, dir: string): WebTls | null {
  const p = 'tls_server_config';
  const o = section(raw, p, [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'client_allowed_sans',
    'min_version',
    'max_version',
    'cipher_suites',
    'prefer_server_cipher_suites',
    'curve_preferences',
  ]);
  const pem = (inline: string, file: string, what: string): Buffer | undefined => {
    const i = str(o, inline, p);
    const f = str(o, file, p);
    if (i !== undefined && f !== undefined) throw new WebConfigError(`${p}: give either ${inline} or ${file}, not both`);
    if (i !== undefined) return Buffer.from(i);
    return f === undefined ? undefined : readBounded(resolve(dir, f), what, MAX_PEM_BYTES);
  };
  const cert = pem('cert', 'cert_file', 'cert_file');
  const key = pem('key', 'key_file', 'key_file');
  const ca = pem('client_ca', 'client_ca_file', 'client_ca_file');
  const clientAuthText = str(o, 'client_auth_type', p) ?? 'NoClientCert';
  if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuthText))
    throw new WebConfigError(`${p}.client_auth_type: '${q(clientAuthText)}' is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  const clientAuth = clientAuthText as ClientAuthType;
  const clientAllowedSans = strList(o, 'client_allowed_sans', p);
  // No certificate and nothing else: plain HTTP, as exporter-toolkit serves then.
  if (cert === undefined && key === undefined) {
    if (ca !== undefined || clientAuth !== 'NoClientCert' || clientAllowedSans.length)
      throw new WebConfigError(`${p}: client certificates need cert_file and key_file`);
    return null;
  }
  if (cert === undefined) throw new WebConfigError(`${p}: missing cert_file`);
  if (key === undefined) throw new WebConfigError(`${p}: missing key_file`);
  if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && ca === undefined)
    throw new WebConfigError(`${p}: client_auth_type ${clientAuth} needs client_ca_file`);
  if (ca !== undefined && (clientAuth === 'NoClientCert' || clientAuth === 'RequestClientCert' || clientAuth === 'RequireAnyClientCert'))
    throw new WebConfigError(`${p}: client_ca_file is given but client_auth_type ${clientAuth} does not verify client certificates`);
  if (clientAllowedSans.length && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert')
    throw new WebConfigError(`${p}: client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`);
  const version = (k: string, dflt: string) => {
    const v = str(o, k, p) ?? dflt;
    const n = VERSIONS[v];
    if (!n) throw new WebConfigError(`${p}.${k}: '${q(v)}' is not one of ${Object.keys(VERSIONS).join(', ')}`);
    return n;
  };
  const minVersion = version('min_version', 'TLS12');
  const maxVersion = version('max_version', 'TLS13');
  if (Object.values(VERSIONS).indexOf(minVersion) > Object.values(VERSIONS).indexOf(maxVersion))
    throw new WebConfigError(`${p}: min_version is above max_version`);
  let ciphers: string | undefined;
  const suites = strList(o, 'cipher_suites', p);
  if (suites.length) {
    const old = suites.filter((s) => !TLS13_SUITES.includes(s));
    for (const s of old) if (!CIPHERS[s]) throw new WebConfigError(`${p}.cipher_suites: unknown cipher suite '${q(s)}'`);
    // TLS 1.3's suites stay on (Go does not let them be chosen either).
    if (old.length) ciphers = [...old.map((s) => CIPHERS[s]), ...TLS13_SUITES].join(':');
  }
  let ecdhCurve: string | undefined;
  const curves = strList(o, 'curve_preferences', p);
  if (curves.length) {
    for (const c of curves)
      if (!CURVES[c]) throw new WebConfigError(`${p}.curve_preferences: unknown curve '${q(c)}' (one of ${Object.keys(CURVES).join(', ')})`);
    ecdhCurve = curves.map((c) => CURVES[c]).join(':');
  }
  const out: WebTls = {
    cert,
    key,
    ...(ca ? { ca } : {}),
    clientAuth,
    clientAllowedSans,
    minVersion,
    maxVersion,
    ...(ciphers ? { ciphers } : {}),
    honorCipherOrder: bool(o, 'prefer_server_cipher_suites', p, true),
    ...(ecdhCurve ? { ecdhCurve } : {}),
  };
  // The certificate, key, CA and lists checked now, so a bad one fails the start, not a scrape.
  try {
    createSecureContext(secureContextOptions(out));
  } catch (e) {
    throw new WebConfigError(`${p}: ${String((e as Error).message).split('\n')[0]}`);
  }
  return out;
}

/** Parse the text of a web config; `dir` is where relative file names start. Throws WebConfigError. */
export function parseWebConfig(text: string, dir: string, file = '<web config>'): WebConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, logLevel: 'silent' });
  if (doc.errors.length) throw new WebConfigError(`not valid YAML: ${q(doc.errors[0].message.split('\n')[0])}`);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new WebConfigError(`not valid YAML: ${String((e as Error).message).split('\n')[0]}`);
  }
  const top = section(root, '', ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit']);
  const tls = parseTls(top.tls_server_config, dir);

  const http = section(top.http_server_config, 'http_server_config', ['http2', 'headers']);
  bool(http, 'http2', 'http_server_config', true); // accepted, ignored: HTTP/1.1 only
  const headers: Record<string, string> = {};
  const h = section(http.headers, 'http_server_config.headers', Object.keys(HEADERS));
  for (const [k, v] of Object.entries(h)) {
    if (v === null || v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new WebConfigError(`http_server_config.headers.${k} must be a string`);
    const allowed = HEADERS[k];
    if (allowed && !allowed.includes(v.toLowerCase()))
      throw new WebConfigError(`http_server_config.headers.${k}: '${q(v)}' is not one of ${allowed.join(', ')}`);
    if (/[\r\n\0]/.test(v)) throw new WebConfigError(`http_server_config.headers.${k}: a header value is one line`);
    headers[k] = v;
  }

  const users = new Map<string, string>();
  const u = top.basic_auth_users;
  if (u !== undefined && u !== null) {
    if (!isObj(u)) throw new WebConfigError('basic_auth_users must be a mapping of user: bcrypt hash');
    const entries = Object.entries(u);
    if (entries.length > MAX_BASIC_AUTH_USERS) throw new WebConfigError(`basic_auth_users: more than ${MAX_BASIC_AUTH_USERS} users`);
    for (const [name, hash] of entries) {
      if (typeof hash !== 'string' || !/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash))
        throw new WebConfigError(`basic_auth_users.${q(name)}: not a bcrypt hash (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`);
      users.set(name, hash);
    }
  }

  let rateLimit: WebConfig['rateLimit'] = null;
  if (top.rate_limit !== undefined && top.rate_limit !== null) {
    const r = section(top.rate_limit, 'rate_limit', ['interval', 'burst']);
    const iv = r.interval;
    let intervalMs = 0;
    if (typeof iv === 'string') {
      try {
        intervalMs = parseGoDuration(iv);
      } catch (e) {
        throw new WebConfigError(`rate_limit.interval: ${(e as Error).message}`);
      }
    } else if (iv !== undefined && iv !== null && iv !== 0) throw new WebConfigError('rate_limit.interval must be a duration (e.g. 1s)');
    const burst = r.burst ?? 0;
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0) throw new WebConfigError('rate_limit.burst must be a whole number');
    if (intervalMs > 0) rateLimit = { intervalMs, burst: Math.max(1, burst) };
  }
  return { file, tls, headers, users, rateLimit };
}

/** Read and parse the web config at `file`. Throws WebConfigError (one line, naming the file). */
export function loadWebConfig(file: string): WebConfig {
  try {
    const text = readBounded(file, 'web config', MAX_WEB_CONFIG_BYTES).toString('utf8');
    return parseWebConfig(text, dirname(resolve(file)), file);
  } catch (e) {
    const msg = e instanceof WebConfigError ? e.message : String((e as Error).message ?? e).split('\n')[0];
    throw new WebConfigError(msg.startsWith('web config ') ? msg : `web config ${file}: ${msg}`);
  }
}
