/** `plover suggest import`. */
import { resolve } from 'node:path';
import { PloverError } from '../../lib/errors.ts';
import { resolveReviewer } from '../../node/identity.ts';
import { MAX_SUGGESTION_FILE_BYTES } from '../../lib/records/suggestions.ts';
import { importSuggestions } from '../../node/suggest.ts';
import { parse, readTextFile } from '../args.ts';

export async function suggestCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { agent: { type: 'string' }, reviewer: { type: 'string' } }, 2);
  const [sub, file] = positionals;
  if (sub !== 'import' || file === undefined) throw new PloverError('E_USAGE', 'plover suggest import FILE --agent NAME');
  if (values.agent === undefined) throw new PloverError('E_USAGE', 'suggest import needs --agent NAME: the model or tool the suggestions come from');
  const dir = resolve(values.dir ?? '.');
  const author = await resolveReviewer(dir, values.reviewer);
  const text = await readTextFile(file, 'FILE', MAX_SUGGESTION_FILE_BYTES);
  const r = await importSuggestions(dir, text, file, values.agent, author);
  const counts = `${r.added} added, ${r.replaced} replaced, ${r.unchanged} unchanged`;
  console.log(r.commit ? `${r.commit.slice(0, 7)} ${r.path}: ${counts}` : `${r.path} already holds every suggestion (${counts}); nothing committed`);
}
