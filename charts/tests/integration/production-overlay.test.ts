import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * charts/examples/values-production-ha.yaml must stay the source document's overlay exactly as written,
 * since users paste the document's YAML. The document lives outside the repository (../shared/seed); the
 * block is kept here too so the check also runs where that folder is absent.
 */
const documentBlock = `# values-production-ha.yaml for wrapper charts such as dalp-local or dalp-staging
dalp:
  dapp:
    replicaCount: 2
    podAntiAffinityPreset: soft

support:
  postgresql:
    enabled: false
  redis:
    enabled: false
  rustfs:
    enabled: false
`;

const overlayPath = new URL('../../examples/values-production-ha.yaml', import.meta.url);
const seedPath = new URL('../../../../shared/seed/cloud-native-high-availability.md', import.meta.url);

describe('the production overlay example', () => {
  it('is the source document overlay, byte for byte', () => {
    assert.equal(readFileSync(overlayPath, 'utf8'), documentBlock);
  });

  it('matches the document itself where the document is available', { skip: !existsSync(seedPath) }, () => {
    const doc = readFileSync(seedPath, 'utf8');
    const block = /```yaml\n(# values-production-ha\.yaml[\s\S]*?)```/.exec(doc)?.[1];
    assert.equal(block, documentBlock);
  });
});
