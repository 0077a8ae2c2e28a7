import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunAs, run } from './processes.ts';

export interface Certificates {
  /** Self-signed CA certificate (PEM): what clients pass as `ca` / `sslrootcert`. */
  caPath: string;
  /** Server certificate signed by the CA, valid for 127.0.0.1, ::1 and localhost. */
  certPath: string;
  keyPath: string;
}

/**
 * Generates a throw-away CA and a server certificate with openssl, so clients can exercise
 * `verify-ca` / `verify-full` against a real chain. The key is made readable only by `owner`
 * (PostgreSQL refuses a key file other users can read).
 */
export async function createCertificates(
  dir: string,
  commonName: string,
  owner?: RunAs,
  /** More addresses the server certificate is valid for (a lab node's address). */
  extraIps: readonly string[] = [],
): Promise<Certificates> {
  const caKey = join(dir, 'ca.key');
  const caPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=dalp-lab-ca-${commonName}`,
    '-keyout',
    caKey,
    '-out',
    caPath,
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-subj',
    `/CN=${commonName}`,
    '-keyout',
    keyPath,
    '-out',
    csr,
  ]);
  writeFileSync(
    ext,
    [
      // Each extra address also as a DNS name: pgBackRest 2.45 matches the host it connects to against
      // the certificate's DNS names and common name only, never its IP addresses.
      `subjectAltName=${['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...extraIps.flatMap((ip) => [`IP:${ip}`, `DNS:${ip}`])].join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caPath,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    certPath,
  ]);
  chmodSync(keyPath, 0o600);
  if (owner) {
    for (const path of [keyPath, certPath, caPath]) chownSync(path, owner.uid, owner.gid);
  }
  return { caPath, certPath, keyPath };
}
