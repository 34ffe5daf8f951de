/**
 * The `plover` command. One top-level catch: a PloverError prints its message and
 * exits 1; anything else is a bug and prints its stack.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MAX_CORRECTION_BYTES, parseCorrection, recordsDecision, type Decision } from '../lib/correction.ts';
import { correctionPath } from '../lib/paths.ts';
import { PloverError, formatProblem, type Problem, errorCode } from '../lib/errors.ts';
import { formatReviewer } from '../lib/reviewer.ts';
import type { Action, FailureCategory, StartingPoint } from '../lib/schema-types.ts';
import { startingPoint } from '../lib/siblings.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../lib/schemas.ts';
import { writeExport, manifestPath } from '../node/export-files.ts';
import { worktreeSource } from '../node/sources.ts';
import { DEFAULT_EXPORT_OPTIONS, EXPORT_FORMATS, PAIR_FORMAT_ACTIONS, SYSTEM_POLICIES, type SystemPolicy } from '../lib/export.ts';
import { RESOLVE_POLICIES, resolveDecision, type Conflict } from '../lib/resolve.ts';
import { loadChatTemplate, MAX_TEMPLATE_BYTES, rendersSystem } from '../lib/chat-template.ts';
import { groupByCandidate } from '../lib/review-state.ts';
import { resolveReviewer } from '../node/identity.ts';
import { invalidRepository, iterateCorrections, readCandidates, readRepository } from '../lib/repository.ts';
import { StatsCompiler } from '../lib/stats.ts';
import { AgreementCompiler } from '../lib/agreement.ts';
import { renderAgreement, renderStats } from './report.ts';
import { importCandidates } from '../node/import.ts';
import { readWorktreeTeam, Workspace } from '../node/workspace.ts';
import { checkRepository } from '../node/check-repository.ts';
import { plural } from '../lib/plural.ts';
import { pullRequestSummary } from '../node/pull-request-summary.ts';
import { startServer } from '../server/server.ts';
import cliProgress from 'cli-progress';
import { MAX_DECISION_FILE_BYTES, parseDecisionFile } from '../lib/decision-file.ts';
import { MAX_SUGGESTION_FILE_BYTES } from '../lib/suggestions.ts';
import { importSuggestions } from '../node/suggest.ts';

const USAGE = `plover — label failed LLM outputs into fine-tuning data, one git commit per decision

Usage: plover <command> [options]      (in the repository root, or with --dir DIR)

Commands:
  serve     Start the label server on 127.0.0.1 and print its address.
              --port N            port (default 4321; 0 picks a free one)
              --reviewer "Name <email>"   default: git config user.name / user.email
  submit <candidate-id>
            Commit one decision, exactly as the review page does.
              --action correct|discard|flag
              --response TEXT | --response-file FILE   the corrected response (correct only)
              --category ${FAILURE_CATEGORIES.map((c) => c.value).join('|')}|none
              --unchanged         the corrected response is the model's own (the model
                                  was right); without it such a correction is refused
              --start-from KIND[:ID]   where the correction started, recorded as
                                  started_from (correct only; without it, none is recorded):
                                  model_response, reference, sibling_correction:CANDIDATE,
                                  sibling_answer:CANDIDATE or suggestion:AGENT; it must be
                                  one of the starts the review page offers the candidate
              --reviewer "Name <email>"
  submit --from FILE
            Commit many decisions in one process, one commit each, in file order. FILE is
            JSONL: {"candidate_id", "action", "corrected_response"?, "failure_category"?,
            "unchanged"?, "started_from"?} per line (started_from as the correction schema has it). Every line is checked first: any problem, and nothing is
            committed (each problem is listed with its line).
              --reviewer "Name <email>"
  suggest import FILE --agent NAME
            Commit a model's or tool's answers as suggestions/NAME.jsonl, offered on the
            review page as starting points. FILE is JSONL: {"candidate_id", "text",
            "score"?} per line. Every line is checked first: any problem, and nothing is
            written. A candidate NAME suggested for before gets the new text.
              --reviewer "Name <email>"   the commit's author
  undo <candidate-id>
            Undo your decision on a candidate: a new commit removes your correction
            file (history is kept), and the candidate is back in your queue.
              --reviewer "Name <email>"
  export    Compile the decisions into fine-tuning JSONL plus a manifest.
              --out FILE          default dist/sft.jsonl (manifest: dist/sft.manifest.json);
                                  never inside .git/ or a data folder, over a tracked file,
                                  or over a file that is not an earlier export
              --format full|messages|prompt-completion|preference|openai-preference|kto
                                  full (default): messages + ids and labels; see README
              --action A[,A]      resolved actions to export (default correct; kto: correct,flag)
              --category C[,C]    only these categories ('none': lines without one)
              --resolve majority|unanimous|latest   when reviewers disagree (default majority)
              --ref REF           read a commit (branch, tag, sha) without checking it out
              --keep-earlier-turns   keep the model's own earlier turns in the context even
                                  where a reviewer corrected them
              --reviewed-context-only   leave out lines whose context holds an earlier
                                  answer of the model that nobody corrected (for trainers
                                  that ignore weight: 0, such as TRL's SFTTrainer)
              --exclude-unchanged leave out corrections that are the model's answer unchanged
              --max-tokens N      leave out lines longer than N tokens (listed in the manifest)
              --keep-duplicates   keep a line whose prompt and target an earlier line has
                                  (written once by default, counted in the manifest)
              --allow-control-tokens   keep lines whose target holds a chat-template control
                                  token (left out and listed by default)
              --fail-on-control-tokens   refuse when a line holds a chat-template control token
                                  (in its context, or in a target left out for it)
              --system keep|drop|merge|auto   the system prompt: kept (default), dropped,
                                  or merged into the first user message (Gemma refuses a
                                  system role); auto (the default with --chat-template):
                                  kept where the template renders it, else merged
              --chat-template FILE   render every line through the model's chat template
                                  (a .jinja file, or its tokenizer_config.json) and list
                                  the lines that do not render as meant
              --fail-on-template  refuse when a line does not render as meant
  import <path>
            Bring benchmark runs into candidates/: a harness output folder
            (<run_id>/sft_candidates.jsonl), one run folder, or one .jsonl file.
            Ids already imported are skipped and counted; running it twice changes nothing.
              --dry-run           say what would be imported, write nothing
  validate  Check every candidate and correction; list every problem; exit 1 if any.
            Warns (exit 0) about corrections that break the text rule, hold
            chat-template control tokens, or are the model's answer unconfirmed.
              --json              the result as JSON, for tools
              --strict            warnings fail too
  stats     Review status: undecided, decided per action, conflicts and ready for
            export, by run, model and task type; decisions by category; per reviewer.
              --agreement         add agreement between reviewers (Cohen's and Fleiss' κ)
              --resolve P         as for export (default majority)
              --json | --markdown   for tools | for a CI job summary
  conflicts List the candidates whose reviewers disagree under --resolve (not exported
            until settled): each reviewer's action, category and time.
              --resolve P         as for export (default majority)
              --json              for tools
  summary   A pull request's decisions as a Markdown report (for a CI job summary):
            validate's problems, counts per reviewer by action and category, the
            candidates in conflict, each correction as a word diff against the model's
            response; every text escaped; at most 1 MiB.
              --base REF          the branch the pull request goes into (required)
              --head REF          default HEAD
  help      Show this text.

Common options:
  --dir DIR   the repository (default: the current folder)
`;

const common = { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function parse<T extends ParseArgsConfig['options']>(args: string[], options: T, positionals = 0) {
  const parsed = parseArgs({ args, options: { ...common, ...options }, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length > positionals) {
    throw new PloverError('E_USAGE', `unexpected argument ${JSON.stringify(parsed.positionals[positionals])}; see \`plover help\``);
  }
  return parsed;
}

function oneOf<T extends string>(flag: string, value: string | undefined, choices: { value: T }[]): T | undefined {
  if (value === undefined) return undefined;
  const match = choices.find((c) => c.value === value);
  if (!match) {
    throw new PloverError('E_USAGE', `--${flag} ${JSON.stringify(value)} is not one of ${choices.map((c) => c.value).join(', ')}`);
  }
  return match.value;
}

async function submit(args: string[]): Promise<void> {
  const { values, positionals } = parse(
    args,
    {
      action: { type: 'string' },
      response: { type: 'string' },
      'response-file': { type: 'string' },
      category: { type: 'string' },
      unchanged: { type: 'boolean' },
      'start-from': { type: 'string' },
      reviewer: { type: 'string' },
      from: { type: 'string' },
    },
    1,
  );
  const dir = resolve(values.dir ?? '.');
  if (values.from !== undefined) {
    const single = ['action', 'response', 'response-file', 'category', 'unchanged', 'start-from'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (positionals.length || single.length) {
      throw new PloverError('E_USAGE', `--from FILE takes every decision from the file: give no candidate id${single.length ? ` and no --${single.join(', --')}` : ''}`);
    }
    return submitFile(dir, values.from, values.reviewer);
  }
  const candidateId = positionals[0];
  if (candidateId === undefined) throw new PloverError('E_USAGE', 'submit needs a candidate id: plover submit <candidate-id> --action correct|discard|flag');
  const action: Action | undefined = oneOf('action', values.action, ACTIONS);
  if (!action) throw new PloverError('E_USAGE', '--action is required: correct, discard or flag');
  const category = categoryOf(oneOf('category', values.category, CATEGORY_CHOICES));
  if (values.response !== undefined && values['response-file'] !== undefined) {
    throw new PloverError('E_USAGE', 'give the corrected response once: --response TEXT or --response-file FILE, not both');
  }
  let response = values.response;
  if (values['response-file'] !== undefined) response = await readTextFile(values['response-file'], '--response-file', MAX_CORRECTION_BYTES);
  if (action !== 'correct' && response !== undefined) {
    throw new PloverError('E_USAGE', `--response and --response-file go with --action correct only (this is --action ${action})`);
  }
  if (action === 'correct' && (response === undefined || response.trim() === '')) {
    throw new PloverError('E_USAGE', '--action correct needs a non-blank corrected response: --response TEXT or --response-file FILE');
  }

  const startFrom = values['start-from'];
  if (startFrom !== undefined && action !== 'correct') throw new PloverError('E_USAGE', `--start-from goes with --action correct only (this is --action ${action})`);

  const reviewer = await resolveReviewer(dir, values.reviewer);
  // A commit needs neither the other corrections nor the other candidates (`plover validate` checks them), unless it starts from a sibling, a reference or a suggestion.
  const fromElsewhere = startFrom !== undefined && startFrom !== 'model_response';
  const workspace = await Workspace.open(dir, fromElsewhere ? {} : { corrections: false, candidate: candidateId });
  if (values.unchanged && action !== 'correct') throw new PloverError('E_USAGE', `--unchanged goes with --action correct only (this is --action ${action})`);
  const decision: Decision = { candidate_id: candidateId, action, corrected_response: response ?? null, failure_category: category, unchanged: Boolean(values.unchanged) };
  if (startFrom !== undefined) decision.started_from = await startOf(workspace, candidateId, startFrom);
  const result = await workspace.service.decide(reviewer, decision);
  console.log(`${result.oid.slice(0, 7)} ${action}${result.correction.unchanged ? ' (unchanged)' : ''} ${candidateId}${category ? ` [${category}]` : ''} by ${formatReviewer(reviewer)}\n  ${result.path}`);
}

/** The start `KIND[:ID]` of a candidate's correction, as the review page offers it (ReviewService.context). */
async function startOf(workspace: Workspace, candidateId: string, spec: string): Promise<StartingPoint> {
  const [kind, ...rest] = spec.split(':');
  const id = rest.length ? rest.join(':') : undefined;
  const candidate = await workspace.service.index.candidate(candidateId);
  if (!candidate) throw new PloverError('E_UNKNOWN_CANDIDATE', `unknown candidate ${JSON.stringify(candidateId)}`);
  if (kind === 'model_response' && id === undefined) return startingPoint({ kind, text: candidate.model_response });
  const { starts } = await workspace.service.context(candidateId);
  const found = starts.find((s) => s.kind === kind && (s.kind === 'suggestion' ? s.agent : s.candidate_id) === id);
  if (!found) {
    const offered = starts.map((s) => s.kind + (s.kind === 'suggestion' ? `:${s.agent}` : s.candidate_id ? `:${s.candidate_id}` : ''));
    throw new PloverError('E_USAGE', `--start-from ${spec} is not a start of ${JSON.stringify(candidateId)}; its starts are: ${offered.join(', ')}`);
  }
  return startingPoint(found);
}

/**
 * `plover submit --from FILE`: checks every line first (any problem: nothing is committed,
 * every problem listed with its line), then commits the decisions in one process, one
 * commit each, in file order.
 */
async function submitFile(dir: string, file: string, reviewerFlag: string | undefined): Promise<void> {
  const text = await readTextFile(file, '--from', MAX_DECISION_FILE_BYTES);
  const reviewer = await resolveReviewer(dir, reviewerFlag);
  const workspace = await Workspace.open(dir, { corrections: false });
  const { decisions, problems } = parseDecisionFile(text, file, (id) => workspace.candidate(id), reviewer);
  if (problems.length) {
    throw new PloverError('E_INVALID_DECISION', `${plural(problems.length, 'problem')} in ${file}; nothing was committed:\n${problems.map(formatProblem).join('\n')}`, { problems });
  }
  const bar = decisions.length >= 20 && process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'committing [{bar}] {value}/{total} decisions, {eta_formatted} left', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(decisions.length, 0);
  let committed = 0;
  let already = 0;
  try {
    for (const { line, decision } of decisions) {
      // A file run again after it stopped half-way: what is committed as written is not committed twice.
      const path = correctionPath(decision.candidate_id, reviewer.email);
      const existing = await readFile(join(dir, path), 'utf8').then((text) => parseCorrection(text, path).correction, () => undefined);
      if (existing && recordsDecision(existing, decision)) already++;
      else {
        try {
          await whileGitIsBusy(() => workspace.service.decide(reviewer, decision));
        } catch (err) {
          if (err instanceof PloverError) {
            throw new PloverError(err.code, `${file}:${line}: ${err.message}; the ${plural(committed, 'decision')} before it ${committed === 1 ? 'is' : 'are'} committed${already ? ` (and ${already} already were)` : ''}, the rest are not; run the same command again to go on`, { cause: err });
          }
          throw err;
        }
        committed++;
      }
      bar?.update(committed + already);
    }
  } finally {
    bar?.stop();
  }
  const skipped = already ? `; ${plural(already, 'line')} already committed with the same content, skipped` : '';
  console.log(`committed ${plural(committed, 'decision')} from ${file} by ${formatReviewer(reviewer)}, one commit each${skipped}`);
}

/** How long a decision waits for a lock another git command holds on the branch or the index. */
const LOCK_WAIT_MS = 10_000;

/** Runs `commit`, again while another git command holds the branch's or the index's lock, for up to LOCK_WAIT_MS. */
async function whileGitIsBusy<T>(commit: () => Promise<T>): Promise<T> {
  const until = Date.now() + LOCK_WAIT_MS;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await commit();
    } catch (err) {
      const busy = err instanceof PloverError && (err.code === 'E_REF_LOCKED' || err.code === 'E_INDEX_LOCKED');
      if (!busy || Date.now() + delay > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function undo(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { reviewer: { type: 'string' } }, 1);
  const candidateId = positionals[0];
  if (candidateId === undefined) throw new PloverError('E_USAGE', 'undo needs a candidate id: plover undo <candidate-id>');
  const dir = resolve(values.dir ?? '.');
  const reviewer = await resolveReviewer(dir, values.reviewer);
  const workspace = await Workspace.open(dir, { corrections: false });
  const result = await workspace.service.undo(reviewer, candidateId);
  console.log(`${result.oid.slice(0, 7)} undo ${result.undone.action} ${candidateId} by ${formatReviewer(reviewer)}\n  removed ${result.path}`);
}

/**
 * A UTF-8 file named by an option, read up to `maxBytes`: a missing, oversized or non-UTF-8
 * file, or one that is not a regular file or a pipe (a device such as /dev/zero never
 * ends), is a usage error naming the option.
 */
async function readTextFile(path: string, option: string, maxBytes: number): Promise<string> {
  const refuse = (reason: string, cause?: unknown) => new PloverError('E_USAGE', `cannot read ${option} ${JSON.stringify(path)}: ${reason}`, { cause });
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw refuse((err as Error).message, err);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile() && !stat.isFIFO()) throw refuse('it is not a regular file or a pipe');
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - size));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size > maxBytes) throw refuse(`it is larger than ${maxBytes} bytes, the most ${option} reads; split it`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch (err) {
      throw refuse('it is not valid UTF-8', err);
    }
  } finally {
    await file.close();
  }
}

/** The failure categories, and `none` for "no category": the same vocabulary in every command. */
const CATEGORY_CHOICES = [...FAILURE_CATEGORIES, { value: 'none' as const }];

/** `none` (or no value) → null. */
function categoryOf(value: FailureCategory | 'none' | undefined): FailureCategory | null {
  return value === undefined || value === 'none' ? null : value;
}

/** Values of a repeatable option that also takes comma-separated lists: `--category a,b --category c`. */
function listOf<T extends string>(flag: string, values: string[] | undefined, choices: { value: T }[]): T[] | undefined {
  if (!values?.length) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => oneOf(flag, v.trim(), choices)!);
}

async function exportCommand(args: string[]): Promise<void> {
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
  const format = oneOf('format', values.format, EXPORT_FORMATS.map((value) => ({ value }))) ?? DEFAULT_EXPORT_OPTIONS.format;
  const policy = oneOf('resolve', values.resolve, RESOLVE_POLICIES.map((value) => ({ value }))) ?? DEFAULT_EXPORT_OPTIONS.resolve;
  const judged = format === 'preference' || format === 'openai-preference' || format === 'kto' ? PAIR_FORMAT_ACTIONS[format] : undefined;
  const actions = listOf('action', values.action, ACTIONS) ?? judged ?? DEFAULT_EXPORT_OPTIONS.actions;
  const categories = listOf('category', values.category, CATEGORY_CHOICES);
  const template = values['chat-template'] === undefined ? undefined : loadChatTemplate(await readTextFile(resolve(values['chat-template']), '--chat-template', MAX_TEMPLATE_BYTES), values['chat-template']);
  if (values['fail-on-template'] && !template) throw new PloverError('E_USAGE', '--fail-on-template needs --chat-template FILE (the model\'s tokenizer_config.json or its template as a .jinja file)');
  const asked = oneOf('system', values.system, [...SYSTEM_POLICIES, 'auto' as const].map((value) => ({ value })));
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
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new PloverError('E_USAGE', `--max-tokens ${JSON.stringify(values['max-tokens'])} is not a positive whole number of tokens, e.g. --max-tokens 4096`);
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
  const c = m.counts;
  const nonzero = (r: Record<string, number>) => Object.entries(r).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [
    `exported ${plural(c.lines, 'line')} (${format}) to ${out}`,
    `  manifest ${manifestPath(out)}`,
    m.card ? `  dataset card ${m.card}` : `  dataset card not written: ${join(dirname(out), 'README.md')} is not one plover wrote`,
    `  ${plural(c.candidates, 'candidate')}, ${plural(c.corrections, 'correction')}, ${c.decided} decided; resolved (${policy}): ${nonzero(c.by_action)}`,
    `  categories: ${nonzero(c.by_category)}`,
    `  sha256 ${m.sha256}${m.source_commit ? `, commit ${m.source_commit.slice(0, 12)}` : ''}${m.source_ref ? ` (--ref ${m.source_ref})` : ''}`,
  ];
  lines.push(`  tokens per line (${m.lengths.tokenizer}): p50 ${m.lengths.p50}, p95 ${m.lengths.p95}, max ${m.lengths.max}; over 1k ${m.lengths.over_1k}, 4k ${m.lengths.over_4k}, 8k ${m.lengths.over_8k}, 16k ${m.lengths.over_16k}`);
  lines.push(`  earlier turns: ${c.earlier_turns.substituted} replaced by a reviewer's correction, ${c.earlier_turns.kept} kept as context${c.earlier_turns.ambiguous ? ` (${c.earlier_turns.ambiguous} where corrections disagree)` : ''}`);
  if (c.filtered_out) lines.push(`  left out by --category: ${c.filtered_out}`);
  if (c.unchanged) lines.push(`  unchanged (the model's answer, confirmed by the reviewer): ${c.unchanged}`);
  if (c.excluded_unchanged) lines.push(`  left out by --exclude-unchanged: ${c.excluded_unchanged}`);
  if (c.no_pair) lines.push(`  no line by the polarity rules (unchanged, or scoring_artifact: the model's answer was right): ${c.no_pair}`);
  for (const [rule, n] of Object.entries(c.by_rule)) lines.push(`  ${rule}: ${n}`);
  if (c.normalized) lines.push(`  corrections whose text broke the text rule (applied here): ${c.normalized}`);
  if (m.too_long.length) lines.push(`  left out by --max-tokens: ${m.too_long.length} (${m.too_long.slice(0, 5).map((t) => `${t.candidate_id} ${t.tokens}`).join(', ')}${m.too_long.length > 5 ? ', …' : ''}; listed in the manifest)`);
  if (m.chat_template) {
    lines.push(`  chat template ${m.chat_template.source}: system prompts ${m.chat_template.system === 'keep' ? 'kept' : m.chat_template.system === 'merge' ? 'merged into the first user message' : 'dropped'}${m.chat_template.system_auto ? ' (--system auto)' : ''}; ${m.template_problems.length ? `${plural(m.template_problems.length, 'line')} ${m.template_problems.length === 1 ? 'does' : 'do'} not render as meant (listed in the manifest; --fail-on-template refuses):` : 'every line renders as meant'}`);
    for (const p of m.template_problems.slice(0, 5)) lines.push(`    line ${p.line} (${p.candidate_id}): ${p.problems.join('; ')}`);
    if (m.template_problems.length > 5) lines.push(`    … and ${m.template_problems.length - 5} more`);
  } else if (c.system_prompts && system === 'keep') {
    lines.push(`  ${plural(c.system_prompts, 'line')} ${c.system_prompts === 1 ? 'keeps' : 'keep'} a system prompt, which some chat templates refuse (Gemma-2) or drop (Mistral v0.3 and Nemo, Phi-3): --chat-template FILE checks every line against your model's template and merges the system prompt where it must, or --system merge puts it in the first user message`);
  }
  if (c.unreviewed_context) {
    lines.push(`  context with an earlier answer of the model that nobody corrected: ${plural(c.unreviewed_context, 'line')} (weight 0 in the messages formats; a trainer that ignores weight trains on it: --reviewed-context-only leaves them out; listed in the manifest)`);
  }
  if (c.unreviewed_context_left_out) lines.push(`  left out by --reviewed-context-only: ${c.unreviewed_context_left_out}`);
  if (m.duplicates.length) lines.push(`  left out as duplicates (same prompt and target as an earlier line; --keep-duplicates keeps them): ${m.duplicates.length}`);
  if (m.control_token_targets.length) {
    const shown = m.control_token_targets.slice(0, 5).map((t) => `${t.candidate_id} ${t.tokens.join(' ')}`);
    lines.push(`  left out, a chat-template control token in the target: ${m.control_token_targets.length} (${shown.join(', ')}${m.control_token_targets.length > 5 ? ', …' : ''}; listed in the manifest; --allow-control-tokens keeps them)`);
  }
  if (m.control_tokens.length) {
    lines.push(`  warning: ${plural(m.control_tokens.length, 'line')} ${m.control_tokens.length === 1 ? 'holds' : 'hold'} chat-template control tokens (listed in the manifest; --fail-on-control-tokens refuses):`);
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
  console.log(lines.join('\n'));
}

async function validate(args: string[]): Promise<number> {
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


async function suggestCommand(args: string[]): Promise<void> {
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

async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } }, 1);
  const input = positionals[0];
  if (input === undefined) throw new PloverError('E_USAGE', 'import needs a path: plover import <harness output folder | run folder | file.jsonl>');
  const report = await importCandidates({ dir: resolve(values.dir ?? '.'), input: resolve(input), dryRun: Boolean(values['dry-run']) });
  const verb = report.dryRun ? 'would import' : 'imported';
  for (const r of report.runs) {
    const skipped = r.already_imported + r.conflicting.length + r.repeated_in_input.length;
    console.log(`${r.run} → ${r.file}: ${verb} ${r.imported}, skipped ${skipped} (${r.already_imported} already imported, ${r.conflicting.length} conflicting, ${r.repeated_in_input.length} repeated in the input)`);
    for (const id of r.conflicting) console.log(`  conflicting: ${JSON.stringify(id)} is already imported with a different record; the imported one is kept (candidate files are immutable)`);
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

async function conflictsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, resolve: { type: 'string' } });
  const policy = oneOf('resolve', values.resolve, RESOLVE_POLICIES.map((value) => ({ value }))) ?? DEFAULT_EXPORT_OPTIONS.resolve;
  const source = worktreeSource(resolve(values.dir ?? '.'));
  const data = await readRepository(source);
  if (data.problems.length) throw invalidRepository(data.problems);
  const conflicts: (Conflict & { benchmark_run_id: string })[] = [];
  for (const [id, group] of groupByCandidate(data.corrections.map((c) => c.correction), (c) => c.candidate_id)) {
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

async function summaryCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { base: { type: 'string' }, head: { type: 'string' } });
  if (values.base === undefined) throw new PloverError('E_USAGE', 'summary needs --base REF: the branch the pull request goes into (in CI: --base "origin/$GITHUB_BASE_REF")');
  process.stdout.write(await pullRequestSummary(resolve(values.dir ?? '.'), values.base, values.head ?? 'HEAD'));
  return 0;
}

async function statsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, markdown: { type: 'boolean' }, agreement: { type: 'boolean' }, resolve: { type: 'string' } });
  const policy = oneOf('resolve', values.resolve, RESOLVE_POLICIES.map((value) => ({ value }))) ?? DEFAULT_EXPORT_OPTIONS.resolve;
  const dir = resolve(values.dir ?? '.');
  const source = worktreeSource(dir);
  const { candidates, problems } = await readCandidates(source);
  const stats = new StatsCompiler(candidates, policy, readWorktreeTeam(dir));
  const agreement = new AgreementCompiler();
  for await (const group of iterateCorrections(source, problems)) {
    stats.add(group);
    agreement.add(group.map((c) => c.correction));
  }
  if (problems.length) throw invalidRepository(problems);
  const result = { ...stats.result(), ...(values.agreement ? { agreement: agreement.result() } : {}) };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const markdown = Boolean(values.markdown);
    console.log(renderStats(result, markdown));
    if (result.agreement) console.log(`\n${renderAgreement(result.agreement, markdown)}`);
  }
  return 0;
}

async function serve(args: string[]): Promise<void> {
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

/** Each command: resolves to its exit code (0 when it says nothing). */
const COMMANDS: Record<string, (args: string[]) => Promise<number | void>> = {
  serve,
  submit,
  export: exportCommand,
  undo,
  validate,
  import: importCommand,
  suggest: suggestCommand,
  stats: statsCommand,
  conflicts: conflictsCommand,
  summary: summaryCommand,
};

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(USAGE);
      return 0;
    }
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new PloverError('E_USAGE', `unknown command ${JSON.stringify(command)}; see \`plover help\``);
    return (await run(args)) ?? 0;
  } catch (err) {
    if (err instanceof PloverError) {
      console.error(`plover: ${err.message}`);
      return 1;
    }
    if (errorCode(err)?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`plover: ${(err as Error).message}; see \`plover help\``);
      return 1;
    }
    console.error('plover: unexpected error (a bug; please report it with this output):');
    console.error(err);
    return 2;
  }
}
