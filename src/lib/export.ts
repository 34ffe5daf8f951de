/**
 * Where the export is compiled: candidates plus corrections → fine-tuning lines, the
 * manifest's counts, and the conflicts between reviewers (decided by resolve.ts). Pure and streaming: the
 * ExportCompiler takes the corrections of one candidate at a time, so the caller can
 * read and write files without holding all corrections in memory.
 */
import { unknownCandidate, type LocatedCandidate } from './candidates.ts';
import { PloverError, type Problem } from './errors.ts';
import type { Action, AssistantMessage, Candidate, Correction, ExportLine, FailureCategory, KTOLine, Message, OpenAIPreferenceLine, PreferenceLine, PromptCompletionLine, PromptMessage } from './schema-types.ts';
import { normalizeCorrectedText } from './target-text.ts';
import { controlTokensIn } from './control-tokens.ts';
import { indexEarlierTurns, type EarlierTurns } from './earlier-turns.ts';
import { groupByCandidate } from './review-state.ts';
import { resolveCorrectedTurns, resolveDecision, type Conflict, type ResolvePolicy } from './resolve.ts';
import { ACTIONS, FAILURE_CATEGORIES } from './schemas.ts';
import { summarizeLengths, type LengthSummary } from './lengths.ts';
import { checkAgainstSchema, type SchemaName } from './schema-check.ts';

/** A correction and the file it was read from. */
export interface LocatedCorrection {
  correction: Correction;
  file: string;
  /** The tokens of its corrected text under the text rule, when the reader knows them (the export's reading thread counts some, see corrections-thread.worker.ts); else the compiler counts them. */
  tokens?: number;
  /** The control tokens in that text, when the reader looked (the export's reading thread does). */
  controlTokens?: string[];
}


export type CategoryFilter = FailureCategory | 'none';

/**
 * What a line looks like (docs/export.md names the trainers that read each):
 * - `full`: `messages` plus ids, labels and metadata;
 * - `messages`: only `messages` (OpenAI chat fine-tuning, TRL's conversational language modeling);
 * - `prompt-completion`: TRL's conversational prompt-completion (`prompt`, `completion`);
 * - `preference`: TRL's conversational preference (`prompt`, `chosen`, `rejected`), for DPO;
 * - `kto`: TRL's conversational unpaired preference (`prompt`, `completion`, `label`), for KTO.
 */
export type ExportFormat = 'full' | 'messages' | 'prompt-completion' | 'preference' | 'openai-preference' | 'kto';
export const EXPORT_FORMATS: ExportFormat[] = ['full', 'messages', 'prompt-completion', 'preference', 'openai-preference', 'kto'];
/** The actions each format that judges the model's answer (see POLARITY) takes, and takes by default. */
export const PAIR_FORMAT_ACTIONS: Record<'preference' | 'openai-preference' | 'kto', Action[]> = { preference: ['correct'], 'openai-preference': ['correct'], kto: ['correct', 'flag'] };

/**
 * What a resolved decision makes of the model's answer in the judging formats, by rule
 * (the manifest counts lines by these names; docs/export.md has the table). The category
 * says what a line may teach: `scoring_artifact` means the model's answer was right and
 * the benchmark's check too strict, so that answer is never rejected or a negative.
 */
export const POLARITY = {
  /** preference: a correction that changed a wrong answer. */
  pair: 'correction chosen, model answer rejected',
  /** kto: the correction, or the model's answer the reviewer kept unchanged. */
  correctionTrue: 'correction labelled true',
  /** kto: a corrected answer (not scoring_artifact). */
  correctedFalse: 'model answer labelled false (corrected)',
  /** kto: a scoring_artifact correction that also edited the answer: both are acceptable. */
  artifactTrue: 'model answer labelled true (scoring_artifact)',
  /** kto: a flagged answer, the clearest negative. */
  flaggedFalse: 'model answer labelled false (flagged)',
} as const;

/** What becomes of a system prompt: kept, dropped, or merged into the first user message (for templates such as Gemma's that refuse a system role). */
export type SystemPolicy = 'keep' | 'drop' | 'merge';
export const SYSTEM_POLICIES: SystemPolicy[] = ['keep', 'drop', 'merge'];

export interface ExportOptions {
  format: ExportFormat;
  resolve: ResolvePolicy;
  /** Deciding actions to export (default: correct). Others use the model's original response. */
  actions: Action[];
  /** Categories to export, `none` for lines without one; all when not given. */
  categories?: CategoryFilter[];
  /** Put a reviewer's correction of an earlier turn into the context in place of the model's answer (default true). */
  substituteEarlierTurns: boolean;
  /** Leave out corrections that are the model's response unchanged. */
  excludeUnchanged: boolean;
  /** Leave out lines longer than this many tokens. */
  maxTokens?: number;
  system: SystemPolicy;
  /** Keep lines whose target holds a chat-template control token (left out and listed by default). */
  allowControlTokens?: boolean;
  /** Keep a line whose prompt and target (and rejected answer) an earlier line already has (written once by default). */
  keepDuplicates?: boolean;
  /** Leave out lines whose context holds an earlier assistant turn that is the model's answer, corrected by nobody. */
  reviewedContextOnly?: boolean;
}

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = {
  format: 'full',
  resolve: 'majority',
  actions: ['correct'],
  substituteEarlierTurns: true,
  excludeUnchanged: false,
  system: 'keep',
  allowControlTokens: false,
  keepDuplicates: false,
  reviewedContextOnly: false,
};


export interface ExportCounts {
  candidates: number;
  corrections: number;
  /** Candidates with at least one correction. */
  decided: number;
  /** Decided candidates per resolved action (conflicts not included). */
  by_action: Record<string, number>;
  conflicts: number;
  /** Decided candidates settled by an adjudicator's decision (counted in by_action too). */
  adjudicated: number;
  /** Candidates whose resolved action is exported but whose category --category leaves out (other actions show in by_action). */
  filtered_out: number;
  /** Exported corrections whose text is the model's response unchanged (the reviewer said the model was right). */
  unchanged: number;
  /** Unchanged corrections left out by --exclude-unchanged. */
  excluded_unchanged: number;
  /** Corrections whose committed text breaks the text rule; the export applied it. */
  normalized: number;
  /** Earlier assistant turns in the exported lines: replaced by a reviewer's correction, or the model's answer kept as context (weight 0); ambiguous: several candidates' corrections disagree, so the model's answer is kept. */
  earlier_turns: { substituted: number; kept: number; ambiguous: number };
  /** preference and kto: decisions that give no line by the polarity rules (unchanged or scoring_artifact in preference; a flag marked scoring_artifact in kto). */
  no_pair: number;
  /** preference and kto: exported lines per polarity rule (POLARITY). */
  by_rule: Record<string, number>;
  /** Lines left out by --max-tokens. */
  too_long: number;
  /** Lines left out because their target holds a chat-template control token (without --allow-control-tokens). */
  control_token_targets: number;
  /** Lines left out because an earlier line has the same prompt and target (without --keep-duplicates). */
  duplicates: number;
  /** Lines written whose prompt keeps a system message (--system keep), which some chat templates refuse or drop. */
  system_prompts: number;
  /** Lines written whose context holds an earlier assistant turn nobody corrected (the model's own, failed answer). */
  unreviewed_context: number;
  /** Such lines left out by --reviewed-context-only. */
  unreviewed_context_left_out: number;
  /** Exported lines with a chat-template control token in a message. */
  with_control_tokens: number;
  lines: number;
  /** Exported lines per failure category; `none` counts lines without one. */
  by_category: Record<string, number>;
  /** Exported lines per model id. */
  by_model: Record<string, number>;
  /** Exported lines per benchmark run. */
  by_run: Record<string, number>;
}

/** A line of `--format messages`. */
export type MessagesLine = Pick<ExportLine, 'messages'>;
/** Any line of any format. */
export type ExportRecord = ExportLine | MessagesLine | PromptCompletionLine | PreferenceLine | OpenAIPreferenceLine | KTOLine;

/** An exported line with a control token: which tokens, and whether the target (chosen, completion) holds one. */
export interface ControlTokenLine {
  candidate_id: string;
  tokens: string[];
  in_target: boolean;
}


/** What the compiler knows of earlier turns: where they are, and the corrected texts of those reviewed. */
export interface EarlierTurnContext {
  turns: EarlierTurns;
  corrected: Map<string, string>;
}

export interface CompilerContext {
  earlier?: EarlierTurnContext;
  /**
   * Counts the tokens of a text (src/node/token-count.ts in Node). Without it lines are
   * not measured: the page's stats use the compiler and never load a tokenizer.
   */
  countTokens?: (text: string) => number;
  /**
   * A short fingerprint of a text (a SHA-1 in Node), by which duplicates are found without
   * keeping every target's text in memory; without it, the texts themselves are kept.
   */
  fingerprint?: (text: string) => string;
}

/** Compiles export lines one candidate at a time, keeping only counts, conflicts and problems. */
export class ExportCompiler {
  readonly problems: Problem[] = [];
  readonly conflicts: Conflict[] = [];
  readonly controlTokenLines: ControlTokenLine[] = [];
  readonly tooLong: { candidate_id: string; tokens: number }[] = [];
  /** The lines left out because their target holds a control token: the candidate and the tokens. */
  readonly controlTokenTargets: { candidate_id: string; tokens: string[] }[] = [];
  /** The lines left out as duplicates: the candidate, and the candidate of the line written. */
  readonly duplicates: { candidate_id: string; same_as: string }[] = [];
  /** The decisions whose lines' context holds an earlier assistant turn nobody corrected: how many such turns, and whether --reviewed-context-only left them out. */
  readonly unreviewedContext: { candidate_id: string; turns: number; left_out: boolean }[] = [];
  /** Tokens of each exported line (a kto decision gives two). */
  readonly lineTokens: number[] = [];
  private readonly candidates: Map<string, LocatedCandidate>;
  private readonly options: ExportOptions;
  private readonly counts: ExportCounts;
  private readonly earlier: EarlierTurnContext;
  private readonly countTextTokens: ((text: string) => number) | undefined;
  /** Token counts of prompt texts and model responses, which repeat across runs and lines. */
  private readonly tokenMemo = new Map<string, number>();
  /** A number for each distinct text of the lines written (by fingerprint), and the training content of each line as those numbers, with its candidate. */
  private readonly textIds = new Map<string, number>();
  private readonly fingerprint: (text: string) => string;
  private readonly written = new Map<string, string>();

  /** @throws PloverError `E_USAGE` when `maxTokens` is given without a token counter. */
  constructor(candidates: Map<string, LocatedCandidate>, options: ExportOptions = DEFAULT_EXPORT_OPTIONS, context: CompilerContext = {}) {
    this.candidates = candidates;
    this.options = options;
    this.earlier = context.earlier ?? { turns: new Map(), corrected: new Map() };
    if (options.maxTokens !== undefined && !context.countTokens) throw new PloverError('E_USAGE', 'maxTokens needs a token counter');
    this.countTextTokens = context.countTokens;
    this.fingerprint = context.fingerprint ?? ((text) => text);
    this.counts = {
      candidates: candidates.size,
      corrections: 0,
      decided: 0,
      by_action: Object.fromEntries(ACTIONS.map((a) => [a.value, 0])),
      conflicts: 0,
      adjudicated: 0,
      filtered_out: 0,
      unchanged: 0,
      excluded_unchanged: 0,
      normalized: 0,
      earlier_turns: { substituted: 0, kept: 0, ambiguous: 0 },
      no_pair: 0,
      by_rule: Object.create(null) as Record<string, number>,
      too_long: 0,
      control_token_targets: 0,
      duplicates: 0,
      system_prompts: 0,
      unreviewed_context: 0,
      unreviewed_context_left_out: 0,
      with_control_tokens: 0,
      lines: 0,
      by_category: Object.fromEntries([...FAILURE_CATEGORIES.map((c) => [c.value, 0]), ['none', 0]]),
      // Keyed by ids from outside: no prototype, so "__proto__" or "constructor" is a key like any.
      by_model: Object.create(null) as Record<string, number>,
      by_run: Object.create(null) as Record<string, number>,
    };
  }

  /**
   * Takes every correction of one candidate.
   * @returns the lines to write: none (not exported, filtered out, a conflict, or a problem), one, or two (kto).
   */
  add(group: LocatedCorrection[]): ExportRecord[] {
    this.counts.corrections += group.length;
    const id = group[0]!.correction.candidate_id;
    const located = this.candidates.get(id);
    if (!located) {
      for (const c of group) {
        this.problems.push(unknownCandidate(c.file, id));
      }
      return [];
    }
    this.counts.decided += 1;
    const resolved = resolveDecision(group.map((c) => c.correction), this.options.resolve);
    if ('conflict' in resolved) {
      this.counts.conflicts += 1;
      this.conflicts.push(resolved.conflict);
      return [];
    }
    const decision = resolved.decision;
    this.counts.by_action[decision.action] = (this.counts.by_action[decision.action] ?? 0) + 1;
    if (decision.adjudication) this.counts.adjudicated += 1;
    const category: CategoryFilter = decision.failure_category ?? 'none';
    if (!this.options.actions.includes(decision.action)) return [];
    if (this.options.categories && !this.options.categories.includes(category)) {
      this.counts.filtered_out += 1;
      return [];
    }

    const { candidate, file, line } = located;
    const prompt = this.compilePrompt(candidate, file, line);
    // A correction's text, or for an exported discard/flag the model's own response; both under the text rule.
    const failed = normalizeCorrectedText(candidate.model_response);
    let answer = failed;
    let unchanged = false;
    if (decision.action === 'correct') {
      answer = normalizeCorrectedText(decision.corrected_response!);
      if (answer.length !== decision.corrected_response!.length) this.counts.normalized += 1;
      unchanged = answer === failed;
    }
    if (answer === '') {
      this.problems.push({ file, line, path: 'model_response', message: `is empty, so this ${decision.action} cannot be exported; leave ${decision.action} out of --action` });
      return [];
    }
    if (!prompt) return [];
    if (prompt.kept > 0 && this.options.reviewedContextOnly) {
      this.counts.unreviewed_context_left_out += 1;
      this.unreviewedContext.push({ candidate_id: id, turns: prompt.kept, left_out: true });
      return [];
    }
    if (unchanged && this.options.excludeUnchanged) {
      this.counts.excluded_unchanged += 1;
      return [];
    }

    const decided = group.find((c) => c.correction === decision)!;
    const decisionFile = decided.file;
    const compiled = this.compileRecords(prompt, answer, failed, unchanged, { candidate, decision, answerTokens: decision.action === 'correct' ? decided.tokens : undefined });
    if (compiled.length === 0) {
      this.counts.no_pair += 1;
      return [];
    }
    // A control token in a target becomes a real turn marker once tokenized: such a line is left out, and listed.
    let records = this.options.allowControlTokens
      ? compiled
      : compiled.filter((r) => {
          const tokens = r.target === null ? [] : r.target === answer && decision.action === 'correct' && decided.controlTokens ? decided.controlTokens : controlTokensIn(r.target);
          if (!tokens.length) return true;
          this.counts.control_token_targets += 1;
          this.controlTokenTargets.push({ candidate_id: id, tokens: [...new Set(tokens)].sort() });
          return false;
        });
    if (records.length === 0) return [];
    const tokens = records.map((r) => r.tokens);
    if (this.options.maxTokens !== undefined && Math.max(...tokens) > this.options.maxTokens) {
      this.counts.too_long += 1;
      this.tooLong.push({ candidate_id: id, tokens: Math.max(...tokens) });
      return [];
    }
    if (!this.options.keepDuplicates) {
      records = records.filter((r) => {
        const key = this.trainingKey(r.line);
        const first = this.written.get(key);
        if (first === undefined) {
          this.written.set(key, id);
          return true;
        }
        this.counts.duplicates += 1;
        this.duplicates.push({ candidate_id: id, same_as: first });
        return false;
      });
      if (records.length === 0) return [];
    }
    for (const r of records) {
      // The export schema is the contract with the fine-tuning job: check every line.
      const lineProblems = checkAgainstSchema(r.schema, r.line, { file: decisionFile });
      if (lineProblems.length) {
        this.problems.push(...lineProblems.map((p) => ({ ...p, message: `${p.message} (in the export line built from this correction)` })));
        return [];
      }
    }
    if (unchanged) this.counts.unchanged += 1;
    for (const r of records) if (r.rule) this.counts.by_rule[r.rule] = (this.counts.by_rule[r.rule] ?? 0) + 1;
    // In the judging formats the model's answer shows too: rejected or labelled false (not a target), or labelled true (a target).
    const failedRole = records.some((r) => r.rule === POLARITY.artifactTrue) ? 'target' : records.some((r) => r.rule === POLARITY.pair || r.rule === POLARITY.correctedFalse || r.rule === POLARITY.flaggedFalse) ? 'shown' : 'absent';
    const answerIsTarget = records.some((r) => r.target === answer);
    this.noteControlTokens(id, prompt.messages, answerIsTarget ? { text: answer, ...(decision.action === 'correct' && decided.controlTokens ? { controlTokens: decided.controlTokens } : {}) } : null, failedRole === 'absent' ? null : { text: failed, target: failedRole === 'target' });
    for (const r of records) this.lineTokens.push(r.tokens);
    this.counts.lines += records.length;
    this.counts.earlier_turns.substituted += prompt.substituted;
    this.counts.earlier_turns.kept += prompt.kept;
    this.counts.earlier_turns.ambiguous += prompt.ambiguous;
    if (prompt.messages[0]?.role === 'system') this.counts.system_prompts += records.length;
    if (prompt.kept > 0) {
      this.counts.unreviewed_context += records.length;
      this.unreviewedContext.push({ candidate_id: id, turns: prompt.kept, left_out: false });
    }
    this.counts.by_category[category] = (this.counts.by_category[category] ?? 0) + records.length;
    this.counts.by_model[candidate.model_id] = (this.counts.by_model[candidate.model_id] ?? 0) + records.length;
    this.counts.by_run[candidate.benchmark_run_id] = (this.counts.by_run[candidate.benchmark_run_id] ?? 0) + records.length;
    return records.map((r) => r.line);
  }

  /** The counts so far, with per-model and per-run keys sorted. */
  result(): ExportCounts {
    return { ...this.counts, earlier_turns: { ...this.counts.earlier_turns }, by_rule: sortKeys(this.counts.by_rule), by_model: sortKeys(this.counts.by_model), by_run: sortKeys(this.counts.by_run) };
  }

  /**
   * The context of a line: the prompt messages without empty system messages, the system
   * prompt as --system says, earlier assistant turns replaced by their correction where a
   * reviewer made one.
   * @returns undefined after recording a problem (an empty user or assistant message).
   */
  private compilePrompt(candidate: Candidate, file: string, line: number): CompiledPrompt | undefined {
    const messages: PromptMessage[] = [];
    const system: string[] = [];
    const turns = this.options.substituteEarlierTurns ? this.earlier.turns.get(candidate.id) : undefined;
    let substituted = 0;
    let kept = 0;
    let ambiguous = 0;
    let bad = false;
    candidate.prompt_messages.forEach((m, i) => {
      if (m.content.trim() === '') {
        if (m.role === 'system') return; // chat fine-tuning formats reject empty system messages
        this.problems.push({ file, line, path: `prompt_messages[${i}].content`, message: `is empty in a ${m.role} message, which fine-tuning formats reject; fix the candidate or discard it` });
        bad = true;
        return;
      }
      if (m.role === 'system' && this.options.system !== 'keep') {
        if (this.options.system === 'merge') system.push(m.content);
        return;
      }
      let content = m.content;
      if (m.role === 'assistant') {
        const texts = [...new Set((turns?.get(i) ?? []).map((source) => this.earlier.corrected.get(source)).filter((t) => t !== undefined))];
        if (texts.length === 1) {
          content = texts[0]!;
          substituted += 1;
        } else {
          if (texts.length > 1) ambiguous += 1;
          kept += 1;
        }
      }
      messages.push({ role: m.role, content });
    });
    if (bad) return undefined;
    if (system.length) {
      const first = messages.findIndex((m) => m.role === 'user');
      const merged = system.join('\n\n');
      if (first === -1) messages.unshift({ role: 'user', content: merged });
      else messages[first] = { role: 'user', content: `${merged}\n\n${messages[first]!.content}` };
    }
    return { messages, substituted, kept, ambiguous, tokens: messages.reduce((n, m) => n + this.countMemo(m.content), 0) };
  }

  /** The lines of one decision in the chosen format, with their schema and length in tokens. */
  private compileRecords(prompt: CompiledPrompt, answer: string, failed: string, unchanged: boolean, from: { candidate: Candidate; decision: Correction; answerTokens: number | undefined }): CompiledRecord[] {
    const { candidate, decision } = from;
    const assistant = (content: string): AssistantMessage => ({ role: 'assistant', content });
    const answerTokens = () => (unchanged ? this.countMemo(failed) : (from.answerTokens ?? this.countTextTokens?.(answer) ?? 0));
    switch (this.options.format) {
      case 'full':
      case 'messages': {
        // Earlier assistant turns are context: OpenAI trains on an assistant message unless its weight is 0.
        const messages: Message[] = prompt.kept + prompt.substituted > 0 ? prompt.messages.map((m) => (m.role === 'assistant' ? { role: m.role, content: m.content, weight: 0 } : m)) : [...prompt.messages];
        messages.push(assistant(answer));
        const line: ExportLine | MessagesLine =
          this.options.format === 'messages'
            ? { messages }
            : {
                messages,
                candidate_id: candidate.id,
                action: decision.action,
                failure_category: decision.failure_category ?? null,
                benchmark_run_id: candidate.benchmark_run_id,
                task_id: candidate.task_id ?? null,
                task_type: candidate.task_type,
                model_id: candidate.model_id,
                quality_score: candidate.quality_score,
                reference_answer: candidate.reference_answer ?? null,
                reviewer: decision.reviewer.email,
                decided_at: decision.decided_at,
                started_from: decision.started_from ?? null,
              };
        return [{ line, schema: 'exportLine', tokens: prompt.tokens + answerTokens(), target: answer }];
      }
      case 'prompt-completion':
        return [{ line: { prompt: prompt.messages, completion: [assistant(answer)] }, schema: 'promptCompletionLine', tokens: prompt.tokens + answerTokens(), target: answer }];
      case 'preference':
      case 'openai-preference': {
        // A correction that is the model's own answer, or says that answer was right (scoring_artifact), is no preference between two answers.
        if (unchanged || decision.failure_category === 'scoring_artifact' || decision.action !== 'correct') return [];
        const trl = this.options.format === 'preference';
        return [
          {
            ...(trl
              ? { line: { prompt: prompt.messages, chosen: [assistant(answer)], rejected: [assistant(failed)] }, schema: 'preferenceLine' as const }
              : { line: { input: { messages: prompt.messages }, preferred_output: [assistant(answer)], non_preferred_output: [assistant(failed)] }, schema: 'openaiPreferenceLine' as const }),
            tokens: prompt.tokens + Math.max(answerTokens(), this.countMemo(failed)),
            rule: POLARITY.pair,
            target: answer,
          },
        ];
      }
      case 'kto': {
        const kto = (text: string, label: boolean, tokens: number, rule: string): CompiledRecord => ({ line: { prompt: prompt.messages, completion: [assistant(text)], label }, schema: 'ktoLine', tokens: prompt.tokens + tokens, rule, target: label ? text : null });
        const artifact = decision.failure_category === 'scoring_artifact';
        if (decision.action === 'flag') return artifact ? [] : [kto(failed, false, this.countMemo(failed), POLARITY.flaggedFalse)];
        const good = kto(answer, true, answerTokens(), POLARITY.correctionTrue);
        if (unchanged) return [good];
        return [good, artifact ? kto(failed, true, this.countMemo(failed), POLARITY.artifactTrue) : kto(failed, false, this.countMemo(failed), POLARITY.correctedFalse)];
      }
    }
  }

  /**
   * Lists the line(s) of a decision when a message holds a control token. `answer` is the
   * decision's target (null for a kto flag, whose only line is a negative); `failed`, the
   * model's answer where a judging format shows it, is a target only when labelled true.
   */
  private noteControlTokens(candidateId: string, prompt: PromptMessage[], answer: { text: string; controlTokens?: string[] } | null, failed: { text: string; target: boolean } | null) {
    const found = new Set<string>();
    for (const m of prompt) for (const t of controlTokensIn(m.content)) found.add(t);
    const inTarget = answer ? (answer.controlTokens ?? controlTokensIn(answer.text)) : [];
    const inFailed = failed ? controlTokensIn(failed.text) : [];
    for (const t of [...inTarget, ...inFailed]) found.add(t);
    if (found.size === 0) return;
    this.counts.with_control_tokens += 1;
    this.controlTokenLines.push({ candidate_id: candidateId, tokens: [...found].sort(), in_target: inTarget.length > 0 || (failed?.target === true && inFailed.length > 0) });
  }

  /**
   * What a trainer sees of a line, as a short key: every message's role, weight and text
   * (the text as a number, the same for equal texts) in each part (messages; prompt,
   * completion, chosen, rejected), and a kto label; ids and metadata are left out.
   */
  private trainingKey(line: ExportRecord): string {
    const parts: string[] = [];
    const input = 'input' in line ? line.input : undefined;
    for (const field of ['messages', 'prompt', 'completion', 'chosen', 'rejected', 'preferred_output', 'non_preferred_output'] as const) {
      const messages = field === 'messages' && input ? input.messages : (line as Partial<Record<typeof field, Message[]>>)[field];
      if (!messages) continue;
      parts.push(field);
      for (const m of messages) {
        const print = this.fingerprint(m.content);
        let n = this.textIds.get(print);
        if (n === undefined) this.textIds.set(print, (n = this.textIds.size));
        parts.push(`${m.role}${'weight' in m ? `:${m.weight}` : ''}:${n}`);
      }
    }
    if ('label' in line) parts.push(String(line.label));
    return parts.join(' ');
  }

  /** Tokens of a text that other lines may share (prompt messages, model responses); 0 without a counter. */
  private countMemo(text: string): number {
    if (!this.countTextTokens) return 0;
    let n = this.tokenMemo.get(text);
    if (n === undefined) this.tokenMemo.set(text, (n = this.countTextTokens(text)));
    return n;
  }
}

interface CompiledPrompt {
  messages: PromptMessage[];
  substituted: number;
  kept: number;
  ambiguous: number;
  tokens: number;
}

interface CompiledRecord {
  line: ExportRecord;
  schema: SchemaName;
  tokens: number;
  /** The text the line trains toward (the assistant message, chosen, a completion labelled true); null when it only shows a negative. */
  target: string | null;
  /** The polarity rule that made it (judging formats only). */
  rule?: string;
}

export interface CompiledExport {
  lines: ExportRecord[];
  counts: ExportCounts;
  conflicts: Conflict[];
  controlTokenLines: ControlTokenLine[];
  tooLong: { candidate_id: string; tokens: number }[];
  controlTokenTargets: { candidate_id: string; tokens: string[] }[];
  duplicates: { candidate_id: string; same_as: string }[];
  unreviewedContext: { candidate_id: string; turns: number; left_out: boolean }[];
  lengths: LengthSummary;
  problems: Problem[];
}

/**
 * Compiles a whole export in memory (tests, small repositories): corrections grouped by
 * candidate, candidates in the order of their correction paths (a hash of the id).
 */
export function compileExport(
  candidates: Map<string, LocatedCandidate>,
  corrections: LocatedCorrection[],
  options: ExportOptions = DEFAULT_EXPORT_OPTIONS,
  countTokens?: (text: string) => number,
): CompiledExport {
  const earlier = indexEarlierTurns(candidates);
  const byCandidate = groupByCandidate(corrections.map((c) => c.correction), (c) => c.candidate_id);
  const compiler = new ExportCompiler(candidates, options, {
    earlier: { turns: earlier.turns, corrected: resolveCorrectedTurns(byCandidate.values(), earlier.sources, options.resolve) },
    ...(countTokens ? { countTokens } : {}),
  });
  const fileOf = new Map(corrections.map((c) => [c.correction, c.file]));
  const groups = [...byCandidate.values()]
    .map((g) => g.map((correction) => ({ correction, file: fileOf.get(correction)! })))
    .sort((a, b) => compareOrdinal(a[0]!.file, b[0]!.file));
  const lines = groups.flatMap((g) => compiler.add(g));
  return {
    lines,
    counts: compiler.result(),
    conflicts: compiler.conflicts,
    controlTokenLines: compiler.controlTokenLines,
    tooLong: compiler.tooLong,
    controlTokenTargets: compiler.controlTokenTargets,
    duplicates: compiler.duplicates,
    unreviewedContext: compiler.unreviewedContext,
    lengths: summarizeLengths(compiler.lineTokens),
    problems: compiler.problems,
  };
}

/**
 * One JSONL line (with its `\n`): keys in a fixed order, UTF-8 as is, no BOM, and
 * `quality_score` always with a fraction (`1.0`), so that every line infers one type.
 */
export function serializeExportLine(line: ExportRecord): string {
  const json = JSON.stringify(line);
  if (!('quality_score' in line) || typeof line.quality_score !== 'number' || !Number.isInteger(line.quality_score)) return `${json}\n`;
  // Only the top-level key can read `,"quality_score":` here: a quote inside a string value is escaped.
  const key = `,"quality_score":${JSON.stringify(line.quality_score)}`;
  const at = json.indexOf(key) + key.length;
  return `${json.slice(0, at)}.0${json.slice(at)}\n`;
}

/** Orders strings by UTF-16 code unit, independent of locale, for deterministic output. */
export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareOrdinal(a, b)));
}
