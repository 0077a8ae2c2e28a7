// The API's shapes as the console reads them (the OpenAPI document at /openapi.json is the reference).

export interface Asset {
  id: string;
  symbol: string;
  name: string;
  type: string;
  decimals: number;
  maxSupply: string | null;
  totalSupply: string;
  allowedCountries: string[] | null;
  faceValue?: string;
  maturityDate?: string;
  status: 'draft' | 'active' | 'paused' | 'closed';
}

export interface Investor {
  id: string;
  name: string;
  country: string;
  kycStatus: 'pending' | 'verified' | 'revoked';
}

export interface JournalEntry {
  id: string;
  kind: string;
  from: string | null;
  to: string | null;
  amount: string;
  totalSupply: string | null;
  createdAt: string;
}

export interface Holders {
  totalSupply: string;
  holders: Array<{ investorId: string; balance: string }>;
}

export interface DocumentInfo {
  id: string;
  name: string;
  contentType: string;
  size: number;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  revokedAt: string | null;
}

export const ASSET_TYPES = ['bond', 'equity', 'fund', 'stablecoin', 'deposit'] as const;
export const ASSET_STATUSES = ['draft', 'active', 'paused', 'closed'] as const;
export const KYC_STATUSES = ['pending', 'verified', 'revoked'] as const;
export const ROLES = ['admin', 'issuer', 'compliance', 'viewer'] as const;
