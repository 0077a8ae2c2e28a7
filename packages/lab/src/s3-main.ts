// The lab's object store: one s3rver answering plain HTTP (what the dapp replicas use, as before) and
// HTTPS on a second port on the same store. The HTTPS listener exists for pgBackRest, whose S3
// repository speaks only HTTPS (it has no plain-HTTP option); s3rver serves TLS itself when given a key
// and certificate, but one instance serves one protocol, so the second listener reuses the same Koa
// handler (s3rver's own `listen` does exactly this with https.createServer).
//
// Usage: s3-main.ts <directory> <host> <port> <tls-port> <key> <cert> <bucket>...
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';

// s3rver ships no type declarations: the two members used here, typed by hand.
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: {
  directory: string;
  address: string;
  port: number;
  configureBuckets: { name: string; configs: string[] }[];
}) => { run(): Promise<unknown>; callback(): RequestListener };

const [directory, host, port, tlsPort, key, cert, ...buckets] = process.argv.slice(2);
if (!directory || !host || !port || !tlsPort || !key || !cert || buckets.length === 0) {
  process.stderr.write('usage: s3-main.ts <directory> <host> <port> <tls-port> <key> <cert> <bucket>...\n');
  process.exit(2);
}
const server = new S3rver({
  directory,
  address: host,
  port: Number(port),
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
await server.run();
await new Promise<void>((resolve, reject) => {
  const tls = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, server.callback());
  tls.once('error', reject);
  tls.listen(Number(tlsPort), host, () => resolve());
});
process.stdout.write(
  `s3rver: http://${host}:${port} and https://${host}:${tlsPort} (${buckets.join(', ')})\n`,
);
