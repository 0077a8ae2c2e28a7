import { type Asset, type AssetStatus, type NewAssetInput, validateNewAsset } from '../domain/assets.ts';
import type { Actor } from '../domain/identity.ts';
import type { ReadCache } from '../read-cache.ts';
import type { AssetStore } from '../store/assets.ts';

/** Creating an asset (validated beyond its schema) and moving it through its lifecycle. */
export class Assets {
  constructor(
    private readonly store: AssetStore,
    private readonly reads: ReadCache,
  ) {}

  async create(input: NewAssetInput, actor: Actor): Promise<Asset> {
    return this.store.create(validateNewAsset(input), actor);
  }

  /** The status change, then every replica's cached copy of the asset invalidated. */
  async setStatus(id: string, status: AssetStatus, actor: Actor): Promise<Asset> {
    const asset = await this.store.setStatus(id, status, actor);
    await this.reads.invalidate('asset', [asset.id]);
    return asset;
  }
}
