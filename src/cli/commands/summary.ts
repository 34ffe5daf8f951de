/** `plover summary`. */
import { resolve } from 'node:path';
import { PloverError } from '../../lib/errors.ts';
import { pullRequestSummary } from '../../node/pull-request-summary.ts';
import { parse } from '../args.ts';

export async function summaryCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { base: { type: 'string' }, head: { type: 'string' } });
  if (values.base === undefined) throw new PloverError('E_USAGE', 'summary needs --base REF: the branch the pull request goes into (in CI: --base "origin/$GITHUB_BASE_REF")');
  process.stdout.write(await pullRequestSummary(resolve(values.dir ?? '.'), values.base, values.head ?? 'HEAD'));
  return 0;
}
