// Types of scripts/deploy-lib.mjs for the TypeScript tests.
export const root: string;
export const PLATFORM_SECRETS: Set<string>;
export function functionNames(): string[];
export function secretsRead(): Map<string, Set<string>>;
export function cronJobs(): Map<string, { schedule: string; command: string }>;
export function cronScheduleSql(): string;
export function documentedSecrets(docs?: string): Map<string, { required: boolean; platform: boolean; note: string }>;
export function parseEnvFile(text: string): Record<string, string>;
