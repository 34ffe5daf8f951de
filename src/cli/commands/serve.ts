/** `plover serve`. */
import { resolve } from 'node:path';
import { PloverError } from '../../lib/errors.ts';
import { formatReviewer } from '../../lib/records/reviewer.ts';
import { resolveReviewer } from '../../node/identity.ts';
import { Workspace } from '../../node/workspace.ts';
import { plural } from '../../lib/plural.ts';
import { startServer } from '../../server/server.ts';
import { parse } from '../args.ts';

export async function serve(args: string[]): Promise<void> {
  const { values } = parse(args, { port: { type: 'string' }, reviewer: { type: 'string' } });
  const dir = resolve(values.dir ?? '.');
  const port = values.port === undefined ? 4321 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PloverError('E_USAGE', `--port ${JSON.stringify(values.port)} is not a port number (0–65535)`);
  }
  const reviewer = await resolveReviewer(dir, values.reviewer);
  const workspace = await Workspace.open(dir);
  if (workspace.recovered.length) {
    console.log(`recovered ${plural(workspace.recovered.length, 'decision')} that an interrupted run wrote but did not commit; each is now a commit`);
  }
  const server = await startServer({ workspace, reviewer, port });
  console.log(
    `plover is serving ${workspace.index.candidateCount} candidates for ${formatReviewer(reviewer)}\n` +
      `  open ${server.url}\n  each decision is a commit in ${dir}; stop with Ctrl+C`,
  );
}
