/** A document of an asset: its metadata, and where its bytes are kept in the object store. */
export interface Document {
  id: string;
  assetId: string;
  name: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the bytes, computed while they streamed to the store (the download's ETag). */
  sha256: string;
  createdBy: string;
  createdAt: string;
  /** Where the bytes are in the object store; never shown to clients. */
  objectKey: string;
}
