// The plain-data half of the input rules: the lengths, ranges and patterns schemas.ts builds its zod
// schemas from. The web's forms read them here, so they use the same numbers without bundling zod.

export const userRules = { nameMax: 100, emailMax: 254 } as const;

export const workspaceRules = {
  nameMax: 80,
  slugMin: 3,
  slugMax: 48,
  /** Lowercase letters and digits, single dashes between them (an HTML `pattern`: anchored by the browser). */
  slugPattern: "[a-z0-9]+(-[a-z0-9]+)*",
  /** workspaces.time_zone is varchar(64). */
  timeZoneMax: 64,
} as const;

export const kpiRules = { nameMax: 120, descriptionMax: 2000, unitMax: 32, categoryMax: 64 } as const;

export const goalRules = { titleMax: 200, descriptionMax: 2000, weightMax: 1000 } as const;

export const integrationRules = {
  nameMax: 120,
  /** Five minutes. */
  syncIntervalMinSeconds: 300,
  /** Thirty days. */
  syncIntervalMaxSeconds: 2_592_000,
} as const;
