import { spawn } from 'node:child_process';
import { freePort } from '@dalp/lab';
import { tempDir, waitUntil } from './helpers.ts';

// Azurite is Microsoft's Blob Storage emulator; the account key below is its published development key.
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Azurite's blob service on a free port, its data in a temporary directory; stop() kills it by PID. */
export async function startAzurite(): Promise<{ connectionString: string; stop(): void }> {
  const port = await freePort();
  const dir = tempDir('azurite');
  const child = spawn(
    process.execPath,
    [
      new URL('../../../../node_modules/azurite/dist/src/blob/main.js', import.meta.url).pathname,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      dir.path,
      '--silent',
      '--skipApiVersionCheck',
      '--loose',
    ],
    { stdio: 'ignore' },
  );
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
  await waitUntil('azurite to listen', async () => {
    await fetch(`http://127.0.0.1:${port}/`);
    return true;
  });
  return {
    connectionString,
    stop() {
      child.kill('SIGKILL');
      dir.remove();
    },
  };
}
