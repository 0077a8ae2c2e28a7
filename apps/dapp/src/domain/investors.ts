import { isCountryCode } from './countries.ts';
import { DomainError } from './errors.ts';

export const KYC_STATUSES = ['pending', 'verified', 'revoked'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export interface Investor {
  id: string;
  name: string;
  country: string;
  kycStatus: KycStatus;
  createdAt: string;
  updatedAt: string;
}

export function assertCountry(country: string): void {
  if (!isCountryCode(country)) {
    throw new DomainError(
      'invalid',
      'invalid_country',
      `${country} is not an ISO 3166-1 alpha-2 country code`,
    );
  }
}
