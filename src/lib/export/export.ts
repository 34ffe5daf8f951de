/**
 * Where the export is compiled: candidates plus corrections → fine-tuning lines (of the
 * formats in export-format.ts), the manifest's counts, and the conflicts between
 * reviewers (decided by resolve.ts). Pure and streaming: the
 * ExportCompiler takes the corrections of one candidate at a time, so the caller can
 * read and write files without holding all corrections in memory.
 */
import { unknownCandidate, type CandidateLookup } from '../records/candidates.ts';
import { PloverError, type Problem } from '../errors.ts';
import type { Candidate, Message, PromptMessage } from '../records/schema-types.generated.ts';
import type { LocatedCorrection } from '../records/correction.ts';
import { compareOrdinal } from '../ordinal.ts';
import { normalizeCorrectedText } from '../records/target-text.ts';
import { controlTokensIn } from './control-tokens.ts';
import type { EarlierTurns } from './earlier-turns.ts';
import { resolveDecision, type Conflict } from '../team/resolve.ts';
import { checkAgainstSchema } from '../records/schema-check.ts';
import { memoizeTexts } from './text-memo.ts';
import {
  DEFAULT_EXPORT_OPTIONS,
  emptyCounts,
  formatLines,
  POLARITY,
  type CategoryFilter,
  type CompiledPrompt,
  type CompiledRecord,
  type ControlTokenLine,
  type ExportCounts,
  type ExportOptions,
  type ExportRecord,
} from './export-format.ts';

/** What the compiler knows of earlier turns: where they are, and the corrected texts of those reviewed. */
export interface EarlierTurnContext {
  turns: EarlierTurns;
  corrected: Map<string, string>;
  /** The tokens of corrected texts where they are known already (counted where they were read), by candidate id. */
  tokens?: Map<string, number>;
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
  private readonly candidates: CandidateLookup;
  private readonly options: ExportOptions;
  private readonly counts: ExportCounts;
  private readonly earlier: EarlierTurnContext;
  private readonly countTextTokens: ((text: string) => number) | undefined;
  /** Tokens of a text that other lines may share (prompt messages, model responses); 0 without a counter. */
  private readonly countMemo: (text: string) => number;
  /** A number for each distinct text of the lines written (by fingerprint), and the training content of each line as those numbers, with its candidate. */
  private readonly textIds = new Map<string, number>();
  private readonly fingerprint: (text: string) => string;
  /** The fingerprint of a text that other lines may share (a prompt's system and user messages). */
  private readonly sharedPrint: (text: string) => string;
  private readonly written = new Map<string, string>();

  /** @throws PloverError `E_USAGE` when `maxTokens` is given without a token counter. */
  constructor(candidates: CandidateLookup, options: ExportOptions = DEFAULT_EXPORT_OPTIONS, context: CompilerContext = {}) {
    this.candidates = candidates;
    this.options = options;
    this.earlier = context.earlier ?? { turns: new Map(), corrected: new Map() };
    if (options.maxTokens !== undefined && !context.countTokens) throw new PloverError('E_USAGE', 'maxTokens needs a token counter');
    this.countTextTokens = context.countTokens;
    this.fingerprint = context.fingerprint ?? ((text) => text);
    this.sharedPrint = context.fingerprint ? memoizeTexts(context.fingerprint) : this.fingerprint;
    this.countMemo = context.countTokens ? memoizeTexts(context.countTokens) : () => 0;
    this.counts = emptyCounts(candidates.size);
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
    const resolved = resolveDecision(
      group.map((c) => c.correction),
      this.options.resolve,
    );
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
    const answerTokens = decision.action === 'correct' ? decided.tokens : undefined;
    const compiled = formatLines(
      this.options.format,
      prompt,
      answer,
      failed,
      { candidate, decision, unchanged },
      {
        answer: () => (unchanged ? this.countMemo(failed) : (answerTokens ?? this.countTextTokens?.(answer) ?? 0)),
        failed: () => this.countMemo(failed),
      },
    );
    if (compiled.length === 0) {
      this.counts.no_pair += 1;
      return [];
    }
    const targetTokens = (target: string) => (target === answer && decision.action === 'correct' && decided.controlTokens ? decided.controlTokens : controlTokensIn(target));
    const records = this.keep(id, compiled, targetTokens, decisionFile);
    if (records.length === 0) return [];
    if (unchanged) this.counts.unchanged += 1;
    for (const r of records) if (r.rule) this.counts.by_rule[r.rule] = (this.counts.by_rule[r.rule] ?? 0) + 1;
    // In the judging formats the model's answer shows too: rejected or labelled false (not a target), or labelled true (a target).
    const failedRole = records.some((r) => r.rule === POLARITY.artifactTrue)
      ? 'target'
      : records.some((r) => r.rule === POLARITY.pair || r.rule === POLARITY.correctedFalse || r.rule === POLARITY.flaggedFalse)
        ? 'shown'
        : 'absent';
    const answerIsTarget = records.some((r) => r.target === answer);
    this.noteControlTokens(
      id,
      prompt.messages,
      answerIsTarget ? { text: answer, ...(decision.action === 'correct' && decided.controlTokens ? { controlTokens: decided.controlTokens } : {}) } : null,
      failedRole === 'absent' ? null : { text: failed, target: failedRole === 'target' },
    );
    this.tally(id, records, prompt, category, candidate);
    return records.map((r) => r.line);
  }

  /**
   * The lines of a decision that are written: those whose target holds a control token,
   * a line too long, or a duplicate of a line written are left out and listed; a line the
   * export schema refuses is a problem.
   * @returns the lines kept, none when a rule leaves them all out.
   */
  private keep(id: string, compiled: CompiledRecord[], targetTokens: (target: string) => string[], file: string): CompiledRecord[] {
    // A control token in a target becomes a real turn marker once tokenized: such a line is left out, and listed.
    let records = this.options.allowControlTokens
      ? compiled
      : compiled.filter((r) => {
          const tokens = r.target === null ? [] : targetTokens(r.target);
          if (!tokens.length) return true;
          this.counts.control_token_targets += 1;
          this.controlTokenTargets.push({ candidate_id: id, tokens: [...new Set(tokens)].sort(compareOrdinal) });
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
      const lineProblems = checkAgainstSchema(r.schema, r.line, { file });
      if (lineProblems.length) {
        this.problems.push(...lineProblems.map((p) => ({ ...p, message: `${p.message} (in the export line built from this correction)` })));
        return [];
      }
    }
    return records;
  }

  /** Counts the written lines of a decision in the manifest's counts. */
  private tally(id: string, records: CompiledRecord[], prompt: CompiledPrompt, category: CategoryFilter, candidate: Candidate): void {
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
  }

  /** The counts so far, with per-model and per-run keys sorted. */
  result(): ExportCounts {
    return {
      ...this.counts,
      earlier_turns: { ...this.counts.earlier_turns },
      by_rule: sortKeys(this.counts.by_rule),
      by_model: sortKeys(this.counts.by_model),
      by_run: sortKeys(this.counts.by_run),
    };
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
    /** Messages whose tokens are known already, and those tokens. */
    let counted: Map<PromptMessage, number> | undefined;
    candidate.prompt_messages.forEach((m, i) => {
      if (m.content.trim() === '') {
        if (m.role === 'system') return; // chat fine-tuning formats reject empty system messages
        this.problems.push({
          file,
          line,
          path: `prompt_messages[${i}].content`,
          message: `is empty in a ${m.role} message, which fine-tuning formats reject; fix the candidate or discard it`,
        });
        bad = true;
        return;
      }
      if (m.role === 'system' && this.options.system !== 'keep') {
        if (this.options.system === 'merge') system.push(m.content);
        return;
      }
      if (m.role === 'assistant') {
        const sources = (turns?.get(i) ?? []).filter((source) => this.earlier.corrected.has(source));
        const texts = [...new Set(sources.map((source) => this.earlier.corrected.get(source)!))];
        if (texts.length === 1) {
          substituted += 1;
          const tokens = this.earlier.tokens?.get(sources[0]!);
          const message = { role: m.role, content: texts[0]! };
          if (tokens !== undefined) (counted ??= new Map()).set(message, tokens);
          messages.push(message);
          return;
        }
        if (texts.length > 1) ambiguous += 1;
        kept += 1;
      }
      messages.push({ role: m.role, content: m.content });
    });
    if (bad) return undefined;
    if (system.length) {
      const first = messages.findIndex((m) => m.role === 'user');
      const merged = system.join('\n\n');
      if (first === -1) messages.unshift({ role: 'user', content: merged });
      else messages[first] = { role: 'user', content: `${merged}\n\n${messages[first]!.content}` };
    }
    return { messages, substituted, kept, ambiguous, tokens: messages.reduce((n, m) => n + (counted?.get(m) ?? this.countMemo(m.content)), 0) };
  }

  /**
   * Lists the line(s) of a decision when a message holds a control token. `answer` is the
   * decision's target (null for a kto flag, whose only line is a negative); `failed`, the
   * model's answer where a judging format shows it, is a target only when labelled true.
   */
  private noteControlTokens(
    candidateId: string,
    prompt: PromptMessage[],
    answer: { text: string; controlTokens?: string[] } | null,
    failed: { text: string; target: boolean } | null,
  ) {
    const found = new Set<string>();
    for (const m of prompt) for (const t of controlTokensIn(m.content)) found.add(t);
    const inTarget = answer ? (answer.controlTokens ?? controlTokensIn(answer.text)) : [];
    const inFailed = failed ? controlTokensIn(failed.text) : [];
    for (const t of [...inTarget, ...inFailed]) found.add(t);
    if (found.size === 0) return;
    this.counts.with_control_tokens += 1;
    this.controlTokenLines.push({
      candidate_id: candidateId,
      tokens: [...found].sort(compareOrdinal),
      in_target: inTarget.length > 0 || (failed?.target === true && inFailed.length > 0),
    });
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
        const print = m.role === 'assistant' ? this.fingerprint(m.content) : this.sharedPrint(m.content);
        let n = this.textIds.get(print);
        if (n === undefined) this.textIds.set(print, (n = this.textIds.size));
        parts.push(`${m.role}${'weight' in m ? `:${m.weight}` : ''}:${n}`);
      }
    }
    if ('label' in line) parts.push(String(line.label));
    return parts.join(' ');
  }
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareOrdinal(a, b)));
}
