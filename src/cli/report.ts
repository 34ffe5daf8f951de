/** Renders stats and agreement as plain text (a terminal, a CI log) or Markdown (a CI job summary). */
import type { AgreementReport } from '../lib/team/agreement.ts';
import type { StateCounts, Stats } from '../lib/review/stats.ts';

type Cell = string | number;

function table(head: string[], rows: Cell[][], markdown: boolean): string {
  const text = rows.map((r) => r.map(String));
  if (markdown) {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    return [`| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...text.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...text.map(line)].join('\n');
}

const STATE_HEAD = ['candidates', 'undecided', 'correct', 'discard', 'flag', 'conflict', 'ready'];
const stateRow = (name: string, c: StateCounts): Cell[] => [name, c.candidates, c.undecided, c.correct, c.discard, c.flag, c.conflict, c.ready_for_export];

function section(title: string, body: string, markdown: boolean): string {
  return markdown ? `### ${title}\n\n${body}` : `${title}\n${body}`;
}

export function renderStats(stats: Stats, markdown: boolean): string {
  const groups = (title: string, label: string, record: Record<string, StateCounts>) =>
    section(
      title,
      table(
        [label, ...STATE_HEAD],
        Object.entries(record).map(([k, c]) => stateRow(k, c)),
        markdown,
      ),
      markdown,
    );
  const t = stats.totals;
  return [
    markdown ? '## plover review status' : '',
    `${t.candidates} candidates: ${t.undecided} undecided, ${t.decided} decided (correct ${t.correct}, discard ${t.discard}, flag ${t.flag}, conflict ${t.conflict}); ${t.ready_for_export} ready for export (--resolve ${stats.resolve})${stats.unchanged ? `\n${stats.unchanged} of the resolved corrections are the model's answer unchanged (the reviewer said it was right)` : ''}${stats.adjudicated ? `\n${stats.adjudicated} settled by an adjudicator` : ''}`,
    groups('By run', 'run', stats.by_run),
    groups('By model', 'model', stats.by_model),
    groups('By task type', 'task type', stats.by_task_type),
    section('Resolved decisions by failure category', table(['category', 'decisions'], Object.entries(stats.by_category), markdown), markdown),
    section('Corrections by reviewer', table(['reviewer', 'corrections'], Object.entries(stats.by_reviewer), markdown), markdown),
    Object.keys(stats.by_start).length
      ? section(
          'Corrections by where they started',
          table(
            ['start', 'corrections', 'committed as started', 'median time per decision'],
            Object.entries(stats.by_start).map(([kind, s]) => [
              kind,
              s.corrections,
              `${s.unchanged_from_start} (${Math.round((s.unchanged_from_start / s.corrections) * 100)}%)`,
              s.median_ms === null ? '–' : `${(s.median_ms / 1000).toFixed(1)} s`,
            ]),
            markdown,
          ),
          markdown,
        )
      : '',
    stats.team
      ? section(
          `Team progress (overlap ${stats.team.overlap}: each candidate assigned to ${stats.team.overlap === 1 ? 'one member' : `${stats.team.overlap} members`})`,
          table(
            ['member', 'assigned', 'decided', 'still open'],
            Object.entries(stats.team.members).map(([m, p]) => [m, p.assigned, p.decided, p.open]),
            markdown,
          ),
          markdown,
        )
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

const num = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));

export function renderAgreement(report: AgreementReport, markdown: boolean): string {
  const f = report.fleiss;
  const pairs = report.pairs.length
    ? table(
        ['reviewers', 'both decided', 'action agree', 'action κ', 'category agree', 'category κ', 'both corrected', 'exact match'],
        report.pairs.map((p) => [
          `${p.reviewers[0]} × ${p.reviewers[1]}`,
          p.candidates,
          num(p.action_agreement),
          num(p.action_kappa),
          num(p.category_agreement),
          num(p.category_kappa),
          p.both_corrected,
          num(p.exact_match),
        ]),
        markdown,
      )
    : 'No candidate has decisions from two reviewers yet.';
  return [
    section("Agreement between reviewers (Cohen's κ per pair)", pairs, markdown),
    `Fleiss' κ across ${f.reviewers} reviewers on ${f.candidates} candidates with two or more: action ${num(f.action_kappa)}, category ${num(f.category_kappa)} (– where undefined: too few candidates, or no variation).`,
  ].join('\n\n');
}
