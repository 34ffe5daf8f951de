/** Reads the hosted site's settings at build time: plover.config.json, then PLOVER_* variables. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PloverError, formatProblem } from '../lib/errors.ts';
import { parseJsonText } from '../lib/json.ts';
import { BlobReader } from './sources.ts';
import { resolveSiteConfig, SITE_CONFIG_FILE, type SiteConfig } from '../lib/records/site-config.ts';

export { SITE_CONFIG_FILE };

/** @throws PloverError `E_SITE_CONFIG` naming the file or variable and the fix. */
export function loadSiteConfig(root: string, env: Record<string, string | undefined> = process.env): SiteConfig {
  return resolveSiteConfig(readConfigFile(root), env, SITE_CONFIG_FILE);
}

/**
 * The parsed contents of plover.config.json at `root` (the site's settings, and `dataset`
 * for the export's card), or undefined when there is none.
 * @throws PloverError `E_SITE_CONFIG` when it is not valid JSON, naming the line.
 */
export function readConfigFile(root: string): unknown {
  const path = join(root, SITE_CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  return parseConfigText(readFileSync(path, 'utf8'));
}

/**
 * plover.config.json as `commit` holds it (`plover export --ref`), or undefined when it has none.
 * @throws PloverError `E_SITE_CONFIG` when it is not valid JSON, naming the line.
 */
export async function readConfigFileAt(dir: string, commit: string): Promise<unknown> {
  const reader = new BlobReader(dir);
  try {
    const found = await reader.object(`${commit}:${SITE_CONFIG_FILE}`);
    return found ? parseConfigText(new TextDecoder().decode(found.body)) : undefined;
  } finally {
    reader.close();
  }
}

function parseConfigText(text: string): unknown {
  const { value, problems } = parseJsonText(text, { file: SITE_CONFIG_FILE });
  if (problems.length) throw new PloverError('E_SITE_CONFIG', problems.map(formatProblem).join('\n'));
  return value;
}
