/** `plover import`. */
import { resolve } from 'node:path';
import { PloverError, formatProblem } from '../../lib/errors.ts';
import { importCandidates } from '../../node/import.ts';
import { plural } from '../../lib/plural.ts';
import { parse } from '../args.ts';

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } }, 1);
  const input = positionals[0];
  if (input === undefined) throw new PloverError('E_USAGE', 'import needs a path: plover import <harness output folder | run folder | file.jsonl>');
  const report = await importCandidates({ dir: resolve(values.dir ?? '.'), input: resolve(input), dryRun: Boolean(values['dry-run']) });
  const verb = report.dryRun ? 'would import' : 'imported';
  for (const r of report.runs) {
    const skipped = r.already_imported + r.conflicting.length + r.repeated_in_input.length;
    console.log(
      `${r.run} → ${r.file}: ${verb} ${r.imported}, skipped ${skipped} (${r.already_imported} already imported, ${r.conflicting.length} conflicting, ${r.repeated_in_input.length} repeated in the input)`,
    );
    for (const id of r.conflicting)
      console.log(`  conflicting: ${JSON.stringify(id)} is already imported with a different record; the imported one is kept (candidate files are immutable)`);
    for (const id of r.repeated_in_input) console.log(`  repeated: ${JSON.stringify(id)} appears more than once in the input; the first is used`);
  }
  const total = report.runs.reduce((n, r) => n + r.imported, 0);
  console.log(`${verb} ${plural(total, 'candidate')} in ${plural(report.runs.length, 'run')}${report.dryRun ? ' (dry run: nothing written)' : ''}`);
  if (report.problems.length) {
    console.error(report.problems.map((p) => formatProblem(p)).join('\n'));
    console.error(`plover: ${plural(report.problems.length, 'problem')}: the runs they are in were not imported (nothing written for them); fix the lines and import again`);
    return 1;
  }
  return 0;
}
