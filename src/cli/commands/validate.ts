/** `plover validate`. */
import { resolve } from 'node:path';
import { formatProblem, type Problem } from '../../lib/errors.ts';
import { worktreeSource } from '../../node/sources.ts';
import { checkRepository } from '../../node/check-repository.ts';
import { plural } from '../../lib/plural.ts';
import { parse } from '../args.ts';

export async function validate(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, strict: { type: 'boolean' } });
  const dir = resolve(values.dir ?? '.');
  const { data, problems, warnings, unchanged } = await checkRepository(dir, worktreeSource(dir));
  const failed = problems.length > 0 || (Boolean(values.strict) && warnings.length > 0);
  if (values.json) {
    console.log(JSON.stringify({ valid: !failed, candidates: data.candidates.size, corrections: data.corrections.length, unchanged, problems, warnings }, null, 2));
    return failed ? 1 : 0;
  }
  const annotate = process.env.GITHUB_ACTIONS === 'true';
  const print = (p: Problem, level: 'error' | 'warning') => {
    console.log(level === 'warning' ? `${formatProblem(p)} (warning)` : formatProblem(p));
    // GitHub and Forgejo Actions turn this into an annotation on the file in the pull request.
    if (annotate) console.log(`::${level} file=${escapeAnnotation(p.file)}${p.line ? `,line=${p.line}` : ''}::${escapeAnnotation(`${p.path ? `${p.path}: ` : ''}${p.message}`)}`);
  };
  for (const p of problems) print(p, 'error');
  for (const w of warnings) print(w, 'warning');
  const summary = `${plural(data.candidates.size, 'candidate')}, ${plural(data.corrections.length, 'correction')} (${unchanged} unchanged)`;
  const warned = warnings.length ? `, ${plural(warnings.length, 'warning')}${values.strict ? ' (--strict: warnings fail)' : ''}` : '';
  if (failed) {
    console.log(`\n${plural(problems.length, 'problem')}${warned}: ${summary}`);
    return 1;
  }
  console.log(`${warnings.length ? '\n' : ''}valid${warned}: ${summary}`);
  return 0;
}

function escapeAnnotation(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}
