/**
 * `plover summary`: a pull request of labels as decisions, not JSON. A Markdown report of
 * the corrections added, changed or removed between two commits: validate's problems
 * first, then counts per reviewer by action and category, the candidates now in conflict,
 * and each decision with its candidate, model, score and category and the correction as
 * a word diff against the model's response. Every text from outside is escaped, so
 * nothing in it renders as HTML or Markdown; the report stays within a byte budget
 * (GitHub's job summary takes 1 MiB) and says what it left out.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocatedCandidate } from '../lib/records/candidates.ts';
import { parseCorrection } from '../lib/records/correction.ts';
import { compileWordDiff } from '../lib/review/diff.ts';
import { PloverError, formatProblem } from '../lib/errors.ts';
import { DEFAULT_EXPORT_OPTIONS } from '../lib/export/export-format.ts';
import { resolveDecision } from '../lib/team/resolve.ts';
import { CORRECTIONS_DIR } from '../lib/records/paths.ts';
import { plural } from '../lib/plural.ts';
import { groupByCandidate } from '../lib/team/review-state.ts';
import { ACTIONS } from '../lib/records/schemas.ts';
import type { Correction } from '../lib/records/schema-types.generated.ts';
import { checkRepository } from './check-repository.ts';
import { gitRefSource } from './sources.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

const run = promisify(execFile);

/** GitHub's limit for one step's job summary. */
export const SUMMARY_MAX_BYTES = 1024 * 1024;

/** Text from outside, made inert: every character HTML or Markdown gives a meaning becomes a character reference. */
export function inert(text: string): string {
  return text.replace(/[&<>"'`|*_[\]\\#~!=+\-{}()$:@]/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Changed {
  status: 'added' | 'changed' | 'removed';
  file: string;
  correction: Correction | null;
}

async function git(dir: string, args: string[]): Promise<string> {
  return (await run('git', args, { cwd: dir, maxBuffer: 1 << 30 })).stdout;
}

async function commitOf(dir: string, ref: string, option: string): Promise<string> {
  try {
    return (await git(dir, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])).trim();
  } catch {
    throw new PloverError(
      'E_BAD_REF',
      `${option} ${JSON.stringify(ref)} does not name a commit in ${dir}; try a branch, tag or sha from \`git log\` (in CI, fetch the base branch: actions/checkout with fetch-depth: 0)`,
    );
  }
}

/**
 * The report of what `head` changes in the decisions since it left `base` (their merge
 * base, as a pull request shows it).
 * @throws PloverError `E_BAD_REF`.
 */
export async function pullRequestSummary(dir: string, baseRef: string, headRef = 'HEAD', maxBytes = SUMMARY_MAX_BYTES): Promise<string> {
  const [base, head] = [await commitOf(dir, baseRef, '--base'), await commitOf(dir, headRef, '--head')];
  const since = (await git(dir, ['merge-base', base, head]).catch(() => base)).trim() || base;
  const source = await gitRefSource(dir, head);
  const check = await checkRepository(dir, source).finally(() => source.close());
  const byFile = new Map(check.data.corrections.map((c) => [c.file, c.correction]));

  const changed: Changed[] = [];
  const diff = await git(dir, ['diff', '--name-status', '--no-renames', '-z', since, head, '--', `${CORRECTIONS_DIR}/`]);
  const fields = diff.split('\0').filter(Boolean);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [status, file] = [fields[i]!, fields[i + 1]!];
    if (status === 'D') {
      const before = await git(dir, ['show', `${since}:${file}`]).then(
        (t) => parseCorrection(t, file).correction ?? null,
        () => null,
      );
      changed.push({ status: 'removed', file, correction: before });
    } else {
      changed.push({ status: status === 'A' ? 'added' : 'changed', file, correction: byFile.get(file) ?? null });
    }
  }

  const out: string[] = [];
  const shortBase = since.slice(0, 12);
  out.push(`## plover: decisions in this change`, '', `${plural(changed.length, 'correction file')} changed since \`${shortBase}\` (head \`${head.slice(0, 12)}\`).`, '');
  if (check.problems.length) {
    out.push(`### ${plural(check.problems.length, 'problem')} (plover validate fails)`, '');
    for (const p of check.problems.slice(0, 50)) out.push(`- ${inert(formatProblem(p))}`);
    if (check.problems.length > 50) out.push(`- … and ${check.problems.length - 50} more: run \`plover validate\``);
    out.push('');
  }

  // Counts per reviewer: actions, and categories of what was added or changed.
  const decided = changed.filter((c) => c.status !== 'removed' && c.correction);
  const reviewers = [...new Set(decided.map((c) => c.correction!.reviewer.email))].sort(compareOrdinal);
  if (reviewers.length) {
    const categories = [...new Set(decided.map((c) => c.correction!.failure_category ?? 'none'))].sort(compareOrdinal);
    out.push(
      '### Decisions by reviewer',
      '',
      `| reviewer | ${ACTIONS.map((a) => a.value).join(' | ')} | ${categories.join(' | ')} |`,
      `|---|${ACTIONS.map(() => '---:').join('|')}|${categories.map(() => '---:').join('|')}|`,
    );
    for (const r of reviewers) {
      const mine = decided.filter((c) => c.correction!.reviewer.email === r).map((c) => c.correction!);
      const count = (pred: (c: Correction) => boolean) => mine.filter(pred).length;
      out.push(
        `| ${inert(r)} | ${ACTIONS.map((a) => count((c) => c.action === a.value)).join(' | ')} | ${categories.map((k) => count((c) => (c.failure_category ?? 'none') === k)).join(' | ')} |`,
      );
    }
    out.push('');
  }
  const removed = changed.filter((c) => c.status === 'removed');
  if (removed.length) out.push(`${plural(removed.length, 'decision')} taken back (correction files removed).`, '');

  // Candidates this change touches that the reviewers now disagree on (the export leaves them out).
  const touched = new Set(changed.map((c) => c.correction?.candidate_id).filter((id): id is string => id !== undefined));
  const conflicts: string[] = [];
  for (const [id, group] of groupByCandidate(
    check.data.corrections.map((c) => c.correction),
    (c) => c.candidate_id,
  )) {
    if (!touched.has(id)) continue;
    const resolved = resolveDecision(group, DEFAULT_EXPORT_OPTIONS.resolve);
    if ('conflict' in resolved)
      conflicts.push(
        `- ${inert(id)}: ${resolved.conflict.decisions.map((d) => `${d.action}${d.failure_category ? ` (${d.failure_category})` : ''} by ${inert(d.reviewer)}`).join('; ')}`,
      );
  }
  if (conflicts.length) out.push(`### ${plural(conflicts.length, 'candidate')} in conflict (left out of the export until settled)`, '', ...conflicts, '');

  // Each decision, its correction as a word diff; as many as the budget holds.
  const details = decided.map((c) => decisionDetails(c, check.data.candidates.get(c.correction!.candidate_id)));
  out.push('### Decisions', '');
  let text = out.join('\n');
  const reserve = 512;
  let shown = 0;
  for (const d of details) {
    if (Buffer.byteLength(text) + Buffer.byteLength(d) + reserve > maxBytes) break;
    text += `${d}\n`;
    shown += 1;
  }
  if (shown < details.length) {
    text += `\n${plural(details.length - shown, 'more decision')} left out of this summary to stay within ${Math.round(maxBytes / 1024)} KiB; \`plover summary --base ${inert(baseRef)}\` in a clone lists them all.\n`;
  }
  if (!details.length) text += 'No decision added or changed.\n';
  return text;
}

/** One decision as a collapsed block: the line says what it is, the body shows the change. */
function decisionDetails(c: Changed, located: LocatedCandidate | undefined): string {
  const k = c.correction!;
  const candidate = located?.candidate;
  const head = [
    `${c.status === 'added' ? '' : 'changed: '}<code>${inert(k.candidate_id)}</code>`,
    k.action,
    k.failure_category ?? 'no category',
    candidate ? `${inert(candidate.model_id)}, score ${candidate.quality_score}` : 'unknown candidate',
    `by ${inert(k.reviewer.email)}`,
  ].join(' · ');
  let body: string;
  if (k.action === 'correct' && candidate) {
    const parts = compileWordDiff(candidate.model_response, k.corrected_response ?? '');
    body = `<pre>${parts.map((p) => (p.kind === 'same' ? inert(p.text) : p.kind === 'added' ? `<ins>${inert(p.text)}</ins>` : `<del>${inert(p.text)}</del>`)).join('')}</pre>`;
  } else if (candidate) {
    body = `<p>The model's response, ${k.action === 'flag' ? 'flagged' : 'discarded'}:</p>\n\n<pre>${inert(candidate.model_response)}</pre>`;
  } else {
    body = '<p>No candidate with this id at the head commit (validate names it).</p>';
  }
  return `<details><summary>${head}</summary>\n\n${body}\n\n</details>`;
}
