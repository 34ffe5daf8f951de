/** `plover export`. */
import { dirname, join, resolve } from 'node:path';
import { PloverError } from '../../lib/errors.ts';
import { ACTIONS } from '../../lib/records/schemas.ts';
import { writeExport, manifestPath, type Manifest } from '../../node/export-files.ts';
import { DEFAULT_EXPORT_OPTIONS, EXPORT_FORMATS, PAIR_FORMAT_ACTIONS, SYSTEM_POLICIES, type SystemPolicy } from '../../lib/export/export-format.ts';
import { loadChatTemplate, MAX_TEMPLATE_BYTES, rendersSystem } from '../../lib/export/chat-template.ts';
import { plural } from '../../lib/plural.ts';
import { CATEGORY_CHOICES, listOf, oneOf, parse, readTextFile, resolvePolicyOf } from '../args.ts';

export async function exportCommand(args: string[]): Promise<void> {
  const { values } = parse(args, {
    out: { type: 'string' },
    format: { type: 'string' },
    action: { type: 'string', multiple: true },
    category: { type: 'string', multiple: true },
    resolve: { type: 'string' },
    ref: { type: 'string' },
    'keep-earlier-turns': { type: 'boolean' },
    'exclude-unchanged': { type: 'boolean' },
    'max-tokens': { type: 'string' },
    'fail-on-control-tokens': { type: 'boolean' },
    'allow-control-tokens': { type: 'boolean' },
    'keep-duplicates': { type: 'boolean' },
    'reviewed-context-only': { type: 'boolean' },
    'chat-template': { type: 'string' },
    'fail-on-template': { type: 'boolean' },
    system: { type: 'string' },
  });
  const dir = resolve(values.dir ?? '.');
  const out = resolve(dir, values.out ?? 'dist/sft.jsonl');
  const format =
    oneOf(
      'format',
      values.format,
      EXPORT_FORMATS.map((value) => ({ value })),
    ) ?? DEFAULT_EXPORT_OPTIONS.format;
  const policy = resolvePolicyOf(values.resolve);
  const judged = format === 'preference' || format === 'openai-preference' || format === 'kto' ? PAIR_FORMAT_ACTIONS[format] : undefined;
  const actions = listOf('action', values.action, ACTIONS) ?? judged ?? DEFAULT_EXPORT_OPTIONS.actions;
  const categories = listOf('category', values.category, CATEGORY_CHOICES);
  const template =
    values['chat-template'] === undefined
      ? undefined
      : loadChatTemplate(await readTextFile(resolve(values['chat-template']), '--chat-template', MAX_TEMPLATE_BYTES), values['chat-template']);
  if (values['fail-on-template'] && !template)
    throw new PloverError('E_USAGE', "--fail-on-template needs --chat-template FILE (the model's tokenizer_config.json or its template as a .jinja file)");
  const asked = oneOf(
    'system',
    values.system,
    [...SYSTEM_POLICIES, 'auto' as const].map((value) => ({ value })),
  );
  if (asked === 'auto' && !template) throw new PloverError('E_USAGE', '--system auto chooses from the chat template: give --chat-template FILE, or --system keep|drop|merge');
  const systemAuto = template !== undefined && (asked === undefined || asked === 'auto');
  // With a template, auto keeps the system prompt where the template renders it, and merges it into the first user turn where it refuses, drops or moves it.
  const system: SystemPolicy = systemAuto ? (rendersSystem(template!) ? 'keep' : 'merge') : ((asked as SystemPolicy | undefined) ?? DEFAULT_EXPORT_OPTIONS.system);
  if (judged && actions.some((a) => !judged.includes(a))) {
    const why = format !== 'kto' ? 'pairs a correction with the answer it replaces' : 'labels corrections and flagged answers (a discard says nothing of the answer)';
    throw new PloverError('E_USAGE', `--format ${format} ${why}, so it takes only --action ${judged.join(',')} (this is --action ${actions.join(',')})`);
  }
  let maxTokens: number | undefined;
  if (values['max-tokens'] !== undefined) {
    maxTokens = Number(values['max-tokens']);
    if (!Number.isInteger(maxTokens) || maxTokens < 1)
      throw new PloverError('E_USAGE', `--max-tokens ${JSON.stringify(values['max-tokens'])} is not a positive whole number of tokens, e.g. --max-tokens 4096`);
  }
  const m = await writeExport({
    dir,
    out,
    format,
    resolve: policy,
    actions,
    ...(categories ? { categories } : {}),
    substituteEarlierTurns: !values['keep-earlier-turns'],
    excludeUnchanged: Boolean(values['exclude-unchanged']),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    system,
    allowControlTokens: Boolean(values['allow-control-tokens']),
    keepDuplicates: Boolean(values['keep-duplicates']),
    reviewedContextOnly: Boolean(values['reviewed-context-only']),
    ...(template ? { chatTemplate: template, systemAuto, failOnTemplate: Boolean(values['fail-on-template']) } : {}),
    ...(values.ref === undefined ? {} : { ref: values.ref }),
    progress: Boolean(process.stderr.isTTY),
    failOnControlTokens: Boolean(values['fail-on-control-tokens']),
  });
  console.log(exportReport(m, { format, out, policy, system }).join('\n'));
}

/** What `plover export` prints: where the files went, the counts, and every line left out or warned of. */
function exportReport(m: Manifest, asked: { format: string; out: string; policy: string; system: SystemPolicy }): string[] {
  const { format, out, policy, system } = asked;
  const c = m.counts;
  const nonzero = (r: Record<string, number>) =>
    Object.entries(r)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `exported ${plural(c.lines, 'line')} (${format}) to ${out}`,
    `  manifest ${manifestPath(out)}`,
    m.card ? `  dataset card ${m.card}` : `  dataset card not written: ${join(dirname(out), 'README.md')} is not one plover wrote`,
    `  ${plural(c.candidates, 'candidate')}, ${plural(c.corrections, 'correction')}, ${c.decided} decided; resolved (${policy}): ${nonzero(c.by_action)}`,
    `  categories: ${nonzero(c.by_category)}`,
    `  sha256 ${m.sha256}${m.source_commit ? `, commit ${m.source_commit.slice(0, 12)}` : ''}${m.source_ref ? ` (--ref ${m.source_ref})` : ''}`,
  ];
  lines.push(
    `  tokens per line (${m.lengths.tokenizer}): p50 ${m.lengths.p50}, p95 ${m.lengths.p95}, max ${m.lengths.max}; over 1k ${m.lengths.over_1k}, 4k ${m.lengths.over_4k}, 8k ${m.lengths.over_8k}, 16k ${m.lengths.over_16k}`,
  );
  lines.push(
    `  earlier turns: ${c.earlier_turns.substituted} replaced by a reviewer's correction, ${c.earlier_turns.kept} kept as context${c.earlier_turns.ambiguous ? ` (${c.earlier_turns.ambiguous} where corrections disagree)` : ''}`,
  );
  if (c.filtered_out) lines.push(`  left out by --category: ${c.filtered_out}`);
  if (c.unchanged) lines.push(`  unchanged (the model's answer, confirmed by the reviewer): ${c.unchanged}`);
  if (c.excluded_unchanged) lines.push(`  left out by --exclude-unchanged: ${c.excluded_unchanged}`);
  if (c.no_pair) lines.push(`  no line by the polarity rules (unchanged, or scoring_artifact: the model's answer was right): ${c.no_pair}`);
  for (const [rule, n] of Object.entries(c.by_rule)) lines.push(`  ${rule}: ${n}`);
  if (c.normalized) lines.push(`  corrections whose text broke the text rule (applied here): ${c.normalized}`);
  if (m.too_long.length)
    lines.push(
      `  left out by --max-tokens: ${m.too_long.length} (${m.too_long
        .slice(0, 5)
        .map((t) => `${t.candidate_id} ${t.tokens}`)
        .join(', ')}${m.too_long.length > 5 ? ', …' : ''}; listed in the manifest)`,
    );
  if (m.chat_template) {
    lines.push(
      `  chat template ${m.chat_template.source}: system prompts ${m.chat_template.system === 'keep' ? 'kept' : m.chat_template.system === 'merge' ? 'merged into the first user message' : 'dropped'}${m.chat_template.system_auto ? ' (--system auto)' : ''}; ${m.template_problems.length ? `${plural(m.template_problems.length, 'line')} ${m.template_problems.length === 1 ? 'does' : 'do'} not render as meant (listed in the manifest; --fail-on-template refuses):` : 'every line renders as meant'}`,
    );
    for (const p of m.template_problems.slice(0, 5)) lines.push(`    line ${p.line} (${p.candidate_id}): ${p.problems.join('; ')}`);
    if (m.template_problems.length > 5) lines.push(`    … and ${m.template_problems.length - 5} more`);
  } else if (c.system_prompts && system === 'keep') {
    lines.push(
      `  ${plural(c.system_prompts, 'line')} ${c.system_prompts === 1 ? 'keeps' : 'keep'} a system prompt, which some chat templates refuse (Gemma-2) or drop (Mistral v0.3 and Nemo, Phi-3): --chat-template FILE checks every line against your model's template and merges the system prompt where it must, or --system merge puts it in the first user message`,
    );
  }
  if (c.unreviewed_context) {
    lines.push(
      `  context with an earlier answer of the model that nobody corrected: ${plural(c.unreviewed_context, 'line')} (weight 0 in the messages formats; a trainer that ignores weight trains on it: --reviewed-context-only leaves them out; listed in the manifest)`,
    );
  }
  if (c.unreviewed_context_left_out) lines.push(`  left out by --reviewed-context-only: ${c.unreviewed_context_left_out}`);
  if (m.duplicates.length) lines.push(`  left out as duplicates (same prompt and target as an earlier line; --keep-duplicates keeps them): ${m.duplicates.length}`);
  if (m.control_token_targets.length) {
    const shown = m.control_token_targets.slice(0, 5).map((t) => `${t.candidate_id} ${t.tokens.join(' ')}`);
    lines.push(
      `  left out, a chat-template control token in the target: ${m.control_token_targets.length} (${shown.join(', ')}${m.control_token_targets.length > 5 ? ', …' : ''}; listed in the manifest; --allow-control-tokens keeps them)`,
    );
  }
  if (m.control_tokens.length) {
    lines.push(
      `  warning: ${plural(m.control_tokens.length, 'line')} ${m.control_tokens.length === 1 ? 'holds' : 'hold'} chat-template control tokens (listed in the manifest; --fail-on-control-tokens refuses):`,
    );
    for (const l of m.control_tokens.slice(0, 5)) lines.push(`    ${l.candidate_id}: ${l.tokens.join(' ')}${l.in_target ? ' (in the target)' : ''}`);
    if (m.control_tokens.length > 5) lines.push(`    … and ${m.control_tokens.length - 5} more`);
  }
  if (m.conflicts.length) {
    lines.push(`  ${plural(m.conflicts.length, 'conflict')} between reviewers (not exported; listed in the manifest):`);
    for (const conflict of m.conflicts.slice(0, 10)) {
      lines.push(`    ${conflict.candidate_id}: ${conflict.decisions.map((d) => `${d.reviewer} ${d.action}`).join(', ')}`);
    }
    if (m.conflicts.length > 10) lines.push(`    … and ${m.conflicts.length - 10} more`);
  }
  if (m.worktree_clean === false) lines.push('  note: candidates/ or corrections/ have uncommitted changes');
  return lines;
}
