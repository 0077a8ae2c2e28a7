// Hands each lab its own /21 block of 198.18.0.0/15, safely against labs that start at the same time
// (other test files, other users): a claim is a file created with O_EXCL under /run (so a reboot, which
// also removes every namespace, frees every block), and claims whose lab is gone are taken back.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../processes.ts';
import { withLock } from './lock.ts';
import { labNamespaces } from './network.ts';
import { statePath } from './state.ts';
import { blockCidr, POOL } from './topology.ts';

export const CLAIMS_DIR = process.env.DALP_LAB_CLAIMS_DIR ?? '/run/dalp-lab/blocks';

interface Claim {
  id: string;
  dir: string;
  at: number;
}

/** A claim younger than this belongs to an `up` that may not have written its state file yet. */
const CLAIM_GRACE_MS = 60_000;

function claimPath(slot: number): string {
  return join(CLAIMS_DIR, String(slot));
}

function readClaim(slot: number): Claim | undefined {
  try {
    return JSON.parse(readFileSync(claimPath(slot), 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/** A claim is stale when its lab has no state file naming it and no namespace. */
function stale(slot: number, claim: Claim | undefined): boolean {
  if (!claim) {
    // Unreadable: a claim being written right now, or garbage; judge by age.
    try {
      return Date.now() - statSync(claimPath(slot)).mtimeMs > CLAIM_GRACE_MS;
    } catch {
      return true;
    }
  }
  if (Date.now() - claim.at < CLAIM_GRACE_MS) return false;
  if (labNamespaces(claim.id).length > 0) return false;
  try {
    const state = JSON.parse(readFileSync(statePath(claim.dir), 'utf8')) as { id?: string; slot?: number };
    return state.id !== claim.id || state.slot !== slot;
  } catch {
    return true;
  }
}

/** Whether the host already routes anything inside the block (another tool's use of 198.18/15). */
async function blockInUse(slot: number): Promise<boolean> {
  const routes = await run('/usr/sbin/ip', ['-4', 'route', 'show', 'root', blockCidr(slot)]).catch(() => '');
  const overlapping = await run('/usr/sbin/ip', ['-4', 'route', 'show', 'match', blockCidr(slot)]).catch(
    () => '',
  );
  return routes.trim() !== '' || overlapping.split('\n').some((line) => /^198\.1[89]\./.test(line));
}

/** Claims a free block for lab `id`; returns its slot number. */
export async function claimBlock(id: string, dir: string): Promise<number> {
  mkdirSync(CLAIMS_DIR, { recursive: true, mode: 0o700 });
  // O_EXCL alone would do for free blocks; taking back a stale claim must not race another lab's.
  return withLock(join(CLAIMS_DIR, 'lock'), () => claimUnderLock(id, dir));
}

async function claimUnderLock(id: string, dir: string): Promise<number> {
  const taken = new Set(
    readdirSync(CLAIMS_DIR)
      .filter((n) => /^\d+$/.test(n))
      .map(Number),
  );
  for (let slot = 0; slot < POOL.blocks; slot++) {
    if (taken.has(slot)) {
      if (!stale(slot, readClaim(slot))) continue;
      rmSync(claimPath(slot), { force: true });
    }
    if (await blockInUse(slot)) continue;
    try {
      writeFileSync(claimPath(slot), JSON.stringify({ id, dir, at: Date.now() } satisfies Claim), {
        flag: 'wx',
      });
      return slot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // another lab was faster
      throw error;
    }
  }
  throw new Error(`no free /21 block left in 198.18.0.0/15 (${POOL.blocks} labs at most)`);
}

/** Gives the block back, if lab `id` still holds it. */
export function releaseBlock(id: string, slot: number | undefined): void {
  if (slot === undefined) return;
  if (readClaim(slot)?.id === id) rmSync(claimPath(slot), { force: true });
}
