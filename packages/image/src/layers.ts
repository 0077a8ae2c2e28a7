import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { execOrThrow } from './exec.ts';

export interface Layer {
  /** Uncompressed content digest (`rootfs.diff_ids` of the image config). */
  diffId: string;
  /** What the layer weighs in a registry and on the wire (gzip). */
  compressedBytes: number;
  /** The layer's tar stream as stored on a node. */
  uncompressedBytes: number;
  /** The Dockerfile instruction that made it, from the image history. */
  createdBy: string;
  /** Paths in the layer, without a leading `./` or `/`. */
  files: string[];
}

interface OciDescriptor {
  digest: string;
  size: number;
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', ...digest.split(':'));
}

function readJson<T>(dir: string, digest: string): T {
  return JSON.parse(readFileSync(blobPath(dir, digest), 'utf8')) as T;
}

async function gunzippedBytes(path: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path).pipe(createGunzip())) bytes += (chunk as Buffer).length;
  return bytes;
}

/** The image's layers, each with its sizes and file list, as `podman save` exports them (OCI layout). */
export async function imageLayers(image: string): Promise<Layer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-layers-'));
  try {
    const out = join(dir, 'oci');
    await execOrThrow('podman', ['save', '--quiet', '--format', 'oci-dir', '-o', out, image]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: OciDescriptor[] };
    const manifest = readJson<{ config: OciDescriptor; layers: OciDescriptor[] }>(
      out,
      index.manifests[0]!.digest,
    );
    const config = readJson<{
      rootfs: { diff_ids: string[] };
      history?: Array<{ created_by?: string; empty_layer?: boolean }>;
    }>(out, manifest.config.digest);
    const history = (config.history ?? []).filter((h) => !h.empty_layer);
    const layers: Layer[] = [];
    for (const [i, descriptor] of manifest.layers.entries()) {
      const path = blobPath(out, descriptor.digest);
      const listing = await execOrThrow('tar', ['-tzf', path]);
      layers.push({
        diffId: config.rootfs.diff_ids[i] ?? '',
        compressedBytes: descriptor.size,
        uncompressedBytes: await gunzippedBytes(path),
        createdBy: history[i]?.created_by ?? '',
        files: listing.stdout
          .split('\n')
          .filter(Boolean)
          .map((f) => f.replace(/^\.?\//, '')),
      });
    }
    return layers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The layers `image` adds on top of `base` (compared by content digest). */
export async function layersAbove(image: string, base: string): Promise<Layer[]> {
  const baseIds = new Set(
    (await execOrThrow('podman', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', base])).stdout
      .trim()
      .match(/sha256:[0-9a-f]{64}/g) ?? [],
  );
  return (await imageLayers(image)).filter((layer) => !baseIds.has(layer.diffId));
}
