/**
 * The dataset card of an export folder: `README.md` beside the JSONL files, with the
 * YAML header that dataset hubs read (a config per exported file, license, task
 * categories, size category) and a body that says what the lines are and how they
 * were made. Written from every `*.manifest.json` in the folder, so exporting several
 * formats into one folder gives one card for all; the folder can be uploaded as is.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportFormat } from '../lib/export/export-format.ts';
import type { Manifest } from './export-files.ts';
import { plural } from '../lib/plural.ts';
import type { Config } from '../lib/records/schema-types.generated.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

/** The trainers that read each format, as the card and docs/export.md name them. */
export const FORMAT_READERS: Record<ExportFormat, string> = {
  full: 'analysis; OpenAI chat fine-tuning after dropping the fields beside `messages`; Axolotl `chat_template` (extra columns are ignored). Not TRL `SFTTrainer`, which ignores `weight: 0` and trains earlier answers: use `prompt-completion`',
  messages:
    'OpenAI chat fine-tuning (honours `weight: 0` on context turns); Axolotl `chat_template` with `message_field_training: weight`. Not TRL `SFTTrainer`, which ignores `weight`: use `prompt-completion`',
  'prompt-completion': 'TRL `SFTTrainer` (conversational prompt-completion: the loss is on the completion only by default)',
  preference:
    'TRL `DPOTrainer` (also `ORPOTrainer`, `CPOTrainer`): conversational preference, chosen = the correction, rejected = the failed answer (never an answer the reviewer called a scoring artifact)',
  'openai-preference':
    'OpenAI preference (DPO) fine-tuning, Together AI and Fireworks DPO: the same pairs as `preference`, as `input.messages`, `preferred_output` and `non_preferred_output`',
  kto: 'TRL `KTOTrainer`: conversational unpaired preference, the correction labelled true, a corrected or flagged answer false, an answer the reviewer called a scoring artifact true',
};

/** The dataset settings of plover.config.json (`dataset`). */
interface DatasetSettings {
  license: string;
  pretty_name: string;
}

/** The card's settings from a plover.config.json that checkConfig found valid (or none): `dataset`, with defaults. */
export function datasetSettings(config: Config | undefined): DatasetSettings {
  return { license: config?.dataset?.license ?? 'unknown', pretty_name: config?.dataset?.pretty_name ?? 'plover export' };
}

/** The size category a dataset hub files this many lines under. */
export function sizeCategory(n: number): string {
  const bounds: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
  ];
  return bounds.find(([limit]) => n < limit)?.[1] ?? '10M<n<100M';
}

const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

/** The card's text for these manifests (sorted by file). */
export function compileDatasetCard(manifests: Manifest[], settings: DatasetSettings): string {
  const sorted = [...manifests].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const main = defaultFile(sorted) ?? sorted[0]!;
  const isDefault = defaultFile(sorted);
  const configName = (file: string) => file.replace(/\.jsonl$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');
  const largest = Math.max(...sorted.map((m) => m.counts.lines));
  const yaml = [
    '---',
    `license: ${q(settings.license)}`,
    `pretty_name: ${q(settings.pretty_name)}`,
    'task_categories:',
    '- text-generation',
    'tags:',
    '- sft',
    ...(sorted.some((m) => m.options.format === 'preference' || m.options.format === 'openai-preference' || m.options.format === 'kto') ? ['- dpo', '- kto'] : []),
    '- plover',
    'size_categories:',
    `- ${q(sizeCategory(largest))}`,
    'configs:',
    ...sorted.flatMap((m) => [
      `- config_name: ${q(configName(m.file))}`,
      ...(m === isDefault ? ['  default: true'] : []),
      '  data_files:',
      '  - split: train',
      `    path: ${q(m.file)}`,
    ]),
    '---',
  ];
  const commits = [...new Set(sorted.map((m) => m.source_commit ?? 'none'))];
  const table = (title: string, record: Record<string, number>) => [
    `| ${title} | lines |`,
    '|---|---:|',
    ...Object.entries(record)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `| ${k.replace(/\|/g, '\\|')} | ${n} |`),
  ];
  const body = [
    `# ${settings.pretty_name}`,
    '',
    "Fine-tuning data made by plover from benchmark answers that failed a check: each line comes from a reviewer's decision, committed to git with the reviewer as author.",
    '',
    commits.length === 1
      ? `Source commit: \`${commits[0]}\`${sorted.some((m) => m.worktree_clean === false) ? ' (with uncommitted changes in candidates/ or corrections/)' : ''}.`
      : `**These files come from different commits** (${commits.map((x) => `\`${x}\``).join(', ')}): export them again from one commit.`,
    '',
    '## Files',
    '',
    '| file | format | lines | tokens p50 / p95 / max | read by |',
    '|---|---|---:|---|---|',
    ...sorted.map(
      (m) => `| \`${m.file}\` | ${m.options.format} | ${m.counts.lines} | ${m.lengths.p50} / ${m.lengths.p95} / ${m.lengths.max} | ${FORMAT_READERS[m.options.format]} |`,
    ),
    '',
    'Each file has a `.manifest.json` beside it: its sha256, the options it was made with, every count, and every line left out or with a problem, by candidate.',
    '',
    '## How the lines are made',
    '',
    "- Only the reviewed answer is a target. Earlier assistant turns of a multi-turn prompt are context: where a reviewer corrected that turn, the context carries the correction; otherwise the model's answer stays, with `weight: 0` in the messages formats (honoured by OpenAI and Axolotl, not by TRL: `--reviewed-context-only` leaves such lines out).",
    '- Text rule: CRLF and a bare CR become LF, blank lines before the text and everything invisible at its end (whitespace, no-break and zero-width spaces) are removed; nothing else is changed.',
    `- Lengths are counted with ${main.lengths.tokenizer} over the message texts; a chat template adds a few tokens per message.`,
    '',
    ...sorted.flatMap((m) => [...fileSection(m), '']),
    `## Counts (\`${main.file}\`)`,
    '',
    ...table('failure category', main.counts.by_category),
    '',
    ...table('model', main.counts.by_model),
    '',
    ...table('benchmark run', main.counts.by_run),
    '',
  ];
  return `${[...yaml, CARD_MARK, ...body].join('\n')}`;
}

/** The formats in the order a default config is chosen from. */
const DEFAULT_ORDER: ExportFormat[] = ['full', 'messages', 'prompt-completion', 'preference', 'openai-preference', 'kto'];

/**
 * The file a dataset hub shows first: a training file (its targets are reviewed answers:
 * action `correct` in the SFT formats; the judging formats always), by format in
 * DEFAULT_ORDER, then by name; never an analysis export of discards or flags. Null when
 * the folder holds none.
 */
export function defaultFile(sorted: Manifest[]): Manifest | null {
  const training = sorted.filter(
    (m) =>
      m.options.format === 'preference' ||
      m.options.format === 'openai-preference' ||
      m.options.format === 'kto' ||
      (m.options.actions.length === 1 && m.options.actions[0] === 'correct'),
  );
  for (const format of DEFAULT_ORDER) {
    const found = training.find((m) => m.options.format === format);
    if (found) return found;
  }
  return null;
}

/** One file's own options, counts and problems. */
function fileSection(m: Manifest): string[] {
  const c = m.counts;
  const o = m.options;
  const analysis = !(o.format === 'preference' || o.format === 'openai-preference' || o.format === 'kto') && o.actions.some((a) => a !== 'correct');
  return [
    `### \`${m.file}\``,
    '',
    `- ${o.format}, ${plural(c.lines, 'line')}; decisions resolved by \`${o.resolve}\`, actions ${o.actions.join(', ')}${o.categories ? `, categories ${o.categories.join(', ')}` : ''}.${analysis ? " An analysis export: an exported discard or flag carries the model's own answer, not a training target." : ''}`,
    `- Left out: ${c.conflicts} in conflict, ${c.too_long} over the length limit${o.maxTokens === undefined ? '' : ` (${o.maxTokens} tokens)`}, ${c.control_token_targets ?? 0} with a control token in the target${o.allowControlTokens ? ' (kept: --allow-control-tokens)' : ''}, ${c.duplicates ?? 0} duplicates${o.keepDuplicates ? ' (kept: --keep-duplicates)' : ''}${o.excludeUnchanged ? `, ${c.excluded_unchanged} unchanged` : ''}${o.reviewedContextOnly ? `, ${c.unreviewed_context_left_out ?? 0} with an unreviewed earlier answer in the context` : ''}.`,
    `- Earlier turns: ${c.earlier_turns.substituted} replaced by a reviewer's correction, ${c.earlier_turns.kept} the model's own (in ${plural(c.unreviewed_context ?? 0, 'line')}).`,
    `- Unchanged answers (the reviewer said the model was right): ${c.unchanged}; lines holding a control token (listed in the manifest): ${c.with_control_tokens}.`,
    `- System prompts: ${o.system === 'keep' ? 'kept' : o.system === 'drop' ? 'dropped' : 'merged into the first user message'}${m.chat_template ? `; checked against the chat template \`${m.chat_template.source}\`${m.chat_template.system_auto ? ' (--system auto)' : ''}: ${m.chat_template.lines_with_problems ? `${plural(m.chat_template.lines_with_problems, 'line')} not rendered as meant (in the manifest)` : 'every line renders as meant'}` : ''}.`,
    `- Tokens per line: p50 ${m.lengths.p50}, p95 ${m.lengths.p95}, max ${m.lengths.max}.`,
  ];
}

/** The line that marks a README.md as a card plover wrote, which a later export may replace. */
export const CARD_MARK = '<!-- written by plover export from the manifests in this folder; exporting again replaces it -->';

/**
 * Writes `README.md` in `outDir` from the manifests there, unless a README.md that plover
 * did not write is there (an export into the repository's own folder, say).
 * @returns the card's path, or null when a README.md of someone else's was left alone.
 */
export async function writeDatasetCard(outDir: string, settings: DatasetSettings, write: (path: string, text: string) => Promise<void>): Promise<string | null> {
  const card = join(outDir, 'README.md');
  if (existsSync(card) && !(await readFile(card, 'utf8')).includes(CARD_MARK)) return null;
  const manifests: Manifest[] = [];
  for (const name of (await readdir(outDir)).sort(compareOrdinal)) {
    if (!name.endsWith('.manifest.json')) continue;
    const manifest = JSON.parse(await readFile(join(outDir, name), 'utf8')) as Manifest;
    // A manifest from before the card existed has no lengths: export that file again to list it.
    if (manifest.lengths && existsSync(join(outDir, manifest.file))) manifests.push(manifest);
  }
  if (manifests.length) await write(card, compileDatasetCard(manifests, settings));
  return card;
}
