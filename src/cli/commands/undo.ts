/** `plover undo`. */
import { resolve } from 'node:path';
import { PloverError } from '../../lib/errors.ts';
import { formatReviewer } from '../../lib/records/reviewer.ts';
import { resolveReviewer } from '../../node/identity.ts';
import { Workspace } from '../../node/workspace.ts';
import { parse } from '../args.ts';

export async function undo(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { reviewer: { type: 'string' } }, 1);
  const candidateId = positionals[0];
  if (candidateId === undefined) throw new PloverError('E_USAGE', 'undo needs a candidate id: plover undo <candidate-id>');
  const dir = resolve(values.dir ?? '.');
  const reviewer = await resolveReviewer(dir, values.reviewer);
  const workspace = await Workspace.open(dir, { corrections: false });
  const result = await workspace.service.undo(reviewer, candidateId);
  console.log(`${result.oid.slice(0, 7)} undo ${result.undone.action} ${candidateId} by ${formatReviewer(reviewer)}\n  removed ${result.path}`);
}
