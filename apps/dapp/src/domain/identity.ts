/** Who may call the API: the roles an API key carries (docs/api.md, "Authentication and roles"). */
export const ROLES = ['admin', 'issuer', 'compliance', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The holder of a verified API key. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

/** Who is acting and on behalf of which request; carried into every mutation's audit row. */
export interface Actor {
  principalId: string;
  requestId: string;
}
