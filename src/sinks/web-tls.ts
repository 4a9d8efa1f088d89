// The server's TLS options as node:tls takes them, apart from web-config.ts: serving needs only
// this, and web-config.ts's YAML parser (230 KB of the bundle, compiled at every start when it
// was imported from here) is loaded only with --web-config.
import type { SecureVersion } from 'node:tls';

/** What the server's own TLS context is made of (web-config.ts's WebTls adds the client checks). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** CA bundle for client certificates, or undefined. */
  ca?: Buffer;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list (TLS 1.2 and below), or undefined for Node's default. */
  ciphers?: string;
  honorCipherOrder: boolean;
  /** OpenSSL curve list, or undefined for Node's default. */
  ecdhCurve?: string;
}

/** The options of node:tls for a ServerTls (the server adds its client-certificate checks). */
export function secureContextOptions(t: ServerTls) {
  return {
    cert: t.cert,
    key: t.key,
    ...(t.ca ? { ca: t.ca } : {}),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
    honorCipherOrder: t.honorCipherOrder,
    ...(t.ecdhCurve ? { ecdhCurve: t.ecdhCurve } : {}),
  };
}
