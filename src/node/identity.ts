/** Who is reviewing: `--reviewer "Name <email>"`, else git config user.name and user.email. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PloverError } from '../lib/errors.ts';
import { checkReviewer, parseReviewer } from '../lib/records/reviewer.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';

const run = promisify(execFile);

async function gitConfig(dir: string, key: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['config', '--get', key], { cwd: dir });
    return stdout.trim() || undefined;
  } catch {
    // git exits 1 when the key is not set (and ENOENT without git): both mean "not configured".
    return undefined;
  }
}

/**
 * Resolves the reviewer identity for the repository at `dir`.
 * @throws PloverError `E_NO_REVIEWER` when neither `--reviewer` nor git config gives one.
 */
export async function resolveReviewer(dir: string, flag: string | undefined): Promise<Reviewer> {
  if (flag !== undefined) return parseReviewer(flag);
  const [name, email] = await Promise.all([gitConfig(dir, 'user.name'), gitConfig(dir, 'user.email')]);
  if (!name || !email) {
    throw new PloverError(
      'E_NO_REVIEWER',
      'no reviewer identity: pass --reviewer "Name <email>", or set it once with\n' + '  git config user.name "Your Name"\n  git config user.email you@example.org',
    );
  }
  return checkReviewer({ name, email });
}
