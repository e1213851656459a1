import { readFile } from 'node:fs/promises';
import type { AppConfig } from '../config/config.schema';
import {
  type PolicyOverrides,
  policyDefaults,
  policySchema,
  resolvePolicy,
  type TriagePolicy,
} from '../modules/projects/policy';

/**
 * The policy a dry run tries: a `--policy <file>` (settings as in `repro policy`) over the
 * operator's defaults, or the defaults alone. An invalid file fails naming each setting.
 */
export async function policyFromFile(
  file: string | undefined,
  config: AppConfig,
): Promise<TriagePolicy> {
  let overrides: PolicyOverrides | null = null;
  if (file) {
    const parsed = policySchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `The policy file is not valid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
      );
    }
    overrides = parsed.data;
  }
  return resolvePolicy(overrides, policyDefaults(config));
}
