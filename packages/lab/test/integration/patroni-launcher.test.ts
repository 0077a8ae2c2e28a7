// The fix behind the lab's heal test, shown in Patroni's own DCS code against a real etcd: a node whose
// lease expired while its cached view still named it the leader renews its leader key (what Patroni's HA
// loop does first after a partition heals). Stock Debian Patroni 3.0.2 overwrites the key another node
// took meanwhile, which split the brain in the lab; through the lab's launcher it must not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EtcdServer, startEtcd } from '../../src/index.ts';
import { PATRONI_LAUNCHER } from '../../src/patroni.ts';

const DRIVER = fileURLToPath(new URL('../support/patroni-leader-renewal.py', import.meta.url));

function renew(etcd: EtcdServer, mode: 'stock' | 'patched'): { renewed: boolean; holder: string } {
  const out = execFileSync('/usr/bin/python3', [DRIVER, etcd.clientUrl, mode, PATRONI_LAUNCHER], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe("Patroni's leader key renewal after a lost lease", () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  test('through the lab launcher, the stale old leader leaves the new leader its key', () => {
    assert.deepEqual(renew(etcd, 'patched'), { renewed: false, holder: 'node-b' });
  });

  test('stock Patroni 3.0.2 overwrites it (the split brain the launcher prevents)', (t) => {
    const version = execFileSync(
      '/usr/bin/python3',
      ['-c', 'from patroni.version import __version__; print(__version__)'],
      { encoding: 'utf8' },
    ).trim();
    if (version !== '3.0.2') {
      t.skip(`installed Patroni is ${version}; the stock behaviour shown here is 3.0.2's`);
      return;
    }
    assert.deepEqual(renew(etcd, 'stock'), { renewed: true, holder: 'node-a' });
  });
});
