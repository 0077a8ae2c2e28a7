// A bucket brought back to how it was at a time T from its object versions: the documents' half of a
// point-in-time restore (the database's half is pgBackRest's). Works on any S3 store that keeps
// versions (the lab's RADOS Gateway, AWS S3); written by hand because S3 has no such operation and no
// maintained JavaScript library offers one (Azure Blob has point-in-time restore for containers built in).
//
// For each key, the version current at T is the newest entry (version or delete marker) last modified
// at or before T. If that is a version and the current one has other content (ETag), it is copied on top
// (a new current version with the same bytes; the history stays), so running it twice changes nothing. If the key had no object at T (nothing before T, or a
// delete marker) but has one now, the object is deleted (a delete marker: undone the same way).
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

const COPY_CONCURRENCY = 8;

export interface BucketRestore {
  /** Keys whose version at T was copied back on top. */
  restored: number;
  /** Keys with no object at T that had one: deleted. */
  removed: number;
  unchanged: number;
}

interface Entry {
  key: string;
  versionId: string;
  lastModified: number;
  isLatest: boolean;
  deleteMarker: boolean;
  /** The content's ETag (versions only): a copy of a version has the same one. */
  etag?: string;
}

async function listEntries(client: S3Client, bucket: string): Promise<Map<string, Entry[]>> {
  const byKey = new Map<string, Entry[]>();
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    const entries = [
      ...(page.Versions ?? []).map((v) => ({ ...v, deleteMarker: false })),
      ...(page.DeleteMarkers ?? []).map((m) => ({ ...m, deleteMarker: true })),
    ];
    for (const e of entries) {
      if (!e.Key || !e.VersionId || !e.LastModified) continue;
      const list = byKey.get(e.Key) ?? [];
      list.push({
        key: e.Key,
        versionId: e.VersionId,
        lastModified: e.LastModified.getTime(),
        isLatest: e.IsLatest === true,
        deleteMarker: e.deleteMarker,
        etag: 'ETag' in e && typeof e.ETag === 'string' ? e.ETag : undefined,
      });
      byKey.set(e.Key, list);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  return byKey;
}

/** The entry current at `at` among one key's entries: the newest modified at or before it. */
function entryAt<E extends { lastModified: number; isLatest: boolean }>(
  entries: readonly E[],
  at: number,
): E | undefined {
  const before = entries.filter((e) => e.lastModified <= at);
  // Equal times (the store's clock has millisecond steps): the one the store lists as latest wins.
  return before.sort((a, b) => b.lastModified - a.lastModified || Number(b.isLatest) - Number(a.isLatest))[0];
}

/** Whether the bucket keeps versions now ('Enabled'), or never did / stopped ('Suspended', none). */
export async function bucketVersioning(client: S3Client, bucket: string): Promise<string> {
  return (await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status ?? 'never enabled';
}

/**
 * Brings `bucket` back to how it was at `at`. `removeNewer: false` only brings objects back and leaves
 * those created since alone: for a store still in use (the lab after a drill, whose replicas have
 * uploaded documents the rebuilt database references).
 */
export async function restoreBucketToTime(
  client: S3Client,
  bucket: string,
  at: Date,
  options: { removeNewer?: boolean } = {},
): Promise<BucketRestore> {
  const result: BucketRestore = { restored: 0, removed: 0, unchanged: 0 };
  const copySource = (key: string, versionId: string) =>
    `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(versionId)}`;
  const work: (() => Promise<unknown>)[] = [];
  for (const [key, entries] of await listEntries(client, bucket)) {
    const then = entryAt(entries, at.getTime());
    const now = entries.find((e) => e.isLatest);
    const existsNow = now !== undefined && !now.deleteMarker;
    if (then && !then.deleteMarker) {
      // The same version, or a copy of it made by an earlier restore: already as it was at T.
      if (
        existsNow &&
        (now.versionId === then.versionId || (now.etag !== undefined && now.etag === then.etag))
      ) {
        result.unchanged += 1;
        continue;
      }
      result.restored += 1;
      work.push(() =>
        client.send(
          new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: copySource(key, then.versionId) }),
        ),
      );
    } else if (existsNow && options.removeNewer !== false) {
      result.removed += 1;
      work.push(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    } else {
      result.unchanged += 1;
    }
  }
  // Each key is its own request: a few at a time (one at a time took 7 s for 65 objects in the lab).
  const worker = async () => {
    for (let next = work.shift(); next; next = work.shift()) await next();
  };
  await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
  return result;
}

/** Deletes every current object of the bucket (an operator's mistake; the restore drills' second fault). */
export async function deleteEveryObject(client: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return deleted;
}
