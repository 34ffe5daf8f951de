/** `plover conflicts`. */
import { resolve } from 'node:path';
import { worktreeSource } from '../../node/sources.ts';
import { resolveDecision, type Conflict } from '../../lib/team/resolve.ts';
import { groupByCandidate } from '../../lib/team/review-state.ts';
import { invalidRepository, readRepository } from '../../lib/records/repository.ts';
import { plural } from '../../lib/plural.ts';
import { parse, resolvePolicyOf } from '../args.ts';

export async function conflictsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, resolve: { type: 'string' } });
  const policy = resolvePolicyOf(values.resolve);
  const source = worktreeSource(resolve(values.dir ?? '.'));
  const data = await readRepository(source);
  if (data.problems.length) throw invalidRepository(data.problems);
  const conflicts: (Conflict & { benchmark_run_id: string })[] = [];
  for (const [id, group] of groupByCandidate(
    data.corrections.map((c) => c.correction),
    (c) => c.candidate_id,
  )) {
    const resolved = resolveDecision(group, policy);
    if ('conflict' in resolved) conflicts.push({ ...resolved.conflict, benchmark_run_id: data.candidates.get(id)!.candidate.benchmark_run_id });
  }
  if (values.json) {
    console.log(JSON.stringify({ resolve: policy, conflicts }, null, 2));
    return 0;
  }
  if (!conflicts.length) {
    console.log(`No conflicts under --resolve ${policy}.`);
    return 0;
  }
  console.log(`${plural(conflicts.length, 'candidate')} in conflict under --resolve ${policy}:`);
  for (const c of conflicts) {
    console.log(`\n${c.candidate_id} (${c.benchmark_run_id})`);
    for (const d of c.decisions) console.log(`  ${d.action}${d.failure_category ? ` [${d.failure_category}]` : ''} by ${d.reviewer}, ${d.decided_at}`);
  }
  return 0;
}
