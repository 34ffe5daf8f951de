/** Reads the hosted site's settings at build time: plover.config.json, then PLOVER_* variables. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PloverError, formatProblem } from '../lib/errors.ts';
import { parseJsonText } from '../lib/json.ts';
import { resolveSiteConfig, type SiteConfig } from '../lib/site-config.ts';

export const SITE_CONFIG_FILE = 'plover.config.json';

/** @throws PloverError `E_SITE_CONFIG` naming the file or variable and the fix. */
export function loadSiteConfig(root: string, env: Record<string, string | undefined> = process.env): SiteConfig {
  const path = join(root, SITE_CONFIG_FILE);
  let file: unknown;
  if (existsSync(path)) {
    const { value, problems } = parseJsonText(readFileSync(path, 'utf8'), { file: SITE_CONFIG_FILE });
    if (problems.length) throw new PloverError('E_SITE_CONFIG', problems.map(formatProblem).join('\n'));
    file = value;
  }
  return resolveSiteConfig(file, env, SITE_CONFIG_FILE);
}
