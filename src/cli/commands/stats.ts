/** `plover stats`. */
import { resolve } from 'node:path';
import { worktreeSource } from '../../node/sources.ts';
import { invalidRepository, iterateCorrections, readCandidates } from '../../lib/records/repository.ts';
import { StatsCompiler } from '../../lib/review/stats.ts';
import { AgreementCompiler } from '../../lib/team/agreement.ts';
import { renderAgreement, renderStats } from '../report.ts';
import { readWorktreeTeam } from '../../node/workspace.ts';
import { parse, resolvePolicyOf } from '../args.ts';

export async function statsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, markdown: { type: 'boolean' }, agreement: { type: 'boolean' }, resolve: { type: 'string' } });
  const policy = resolvePolicyOf(values.resolve);
  const dir = resolve(values.dir ?? '.');
  const source = worktreeSource(dir);
  const { candidates, problems } = await readCandidates(source);
  const stats = new StatsCompiler(candidates, policy, readWorktreeTeam(dir));
  const agreement = new AgreementCompiler();
  for await (const group of iterateCorrections(source, problems)) {
    stats.add(group);
    agreement.add(group.map((c) => c.correction));
  }
  if (problems.length) throw invalidRepository(problems);
  const result = { ...stats.result(), ...(values.agreement ? { agreement: agreement.result() } : {}) };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const markdown = Boolean(values.markdown);
    console.log(renderStats(result, markdown));
    if (result.agreement) console.log(`\n${renderAgreement(result.agreement, markdown)}`);
  }
  return 0;
}
