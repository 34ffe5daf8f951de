/**
 * What an export is made of: the formats and their options, the lines each format
 * writes and how a line is serialised, the manifest's counts. The compiler that makes
 * the lines is export.ts.
 */
import type {
  Action,
  AssistantMessage,
  Candidate,
  Correction,
  ExportLine,
  FailureCategory,
  KTOLine,
  Message,
  OpenAIPreferenceLine,
  PreferenceLine,
  PromptCompletionLine,
  PromptMessage,
} from '../records/schema-types.generated.ts';
import type { SchemaName } from '../records/schema-check.ts';
import type { ResolvePolicy } from '../team/resolve.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../records/schemas.ts';

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
export const PAIR_FORMAT_ACTIONS: Record<'preference' | 'openai-preference' | 'kto', Action[]> = {
  preference: ['correct'],
  'openai-preference': ['correct'],
  kto: ['correct', 'flag'],
};

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

/** The counts of an export before its first line, over `candidates` candidates. */
export function emptyCounts(candidates: number): ExportCounts {
  return {
    candidates,
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

/** The context of a decision's lines: its messages as exported, what became of earlier assistant turns, and its tokens. */
export interface CompiledPrompt {
  messages: PromptMessage[];
  substituted: number;
  kept: number;
  ambiguous: number;
  tokens: number;
}

/** One line of a decision, before the rules that may leave it out (ExportCompiler.keep). */
export interface CompiledRecord {
  line: ExportRecord;
  schema: SchemaName;
  tokens: number;
  /** The text the line trains toward (the assistant message, chosen, a completion labelled true); null when it only shows a negative. */
  target: string | null;
  /** The polarity rule that made it (judging formats only). */
  rule?: string;
}

/**
 * The lines of one decision in `format`, with their schema and length in tokens: `answer`
 * is its target under the text rule, `failed` the model's answer, `tokens` counts them.
 */
export function formatLines(
  format: ExportFormat,
  prompt: CompiledPrompt,
  answer: string,
  failed: string,
  from: { candidate: Candidate; decision: Correction; unchanged: boolean },
  tokens: { answer(): number; failed(): number },
): CompiledRecord[] {
  const { candidate, decision, unchanged } = from;
  const assistant = (content: string): AssistantMessage => ({ role: 'assistant', content });
  switch (format) {
    case 'full':
    case 'messages': {
      // Earlier assistant turns are context: OpenAI trains on an assistant message unless its weight is 0.
      const messages: Message[] =
        prompt.kept + prompt.substituted > 0 ? prompt.messages.map((m) => (m.role === 'assistant' ? { role: m.role, content: m.content, weight: 0 } : m)) : [...prompt.messages];
      messages.push(assistant(answer));
      const line: ExportLine | MessagesLine =
        format === 'messages'
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
      return [{ line, schema: 'exportLine', tokens: prompt.tokens + tokens.answer(), target: answer }];
    }
    case 'prompt-completion':
      return [{ line: { prompt: prompt.messages, completion: [assistant(answer)] }, schema: 'promptCompletionLine', tokens: prompt.tokens + tokens.answer(), target: answer }];
    case 'preference':
    case 'openai-preference': {
      // A correction that is the model's own answer, or says that answer was right (scoring_artifact), is no preference between two answers.
      if (unchanged || decision.failure_category === 'scoring_artifact' || decision.action !== 'correct') return [];
      const trl = format === 'preference';
      return [
        {
          ...(trl
            ? { line: { prompt: prompt.messages, chosen: [assistant(answer)], rejected: [assistant(failed)] }, schema: 'preferenceLine' as const }
            : {
                line: { input: { messages: prompt.messages }, preferred_output: [assistant(answer)], non_preferred_output: [assistant(failed)] },
                schema: 'openaiPreferenceLine' as const,
              }),
          tokens: prompt.tokens + Math.max(tokens.answer(), tokens.failed()),
          rule: POLARITY.pair,
          target: answer,
        },
      ];
    }
    case 'kto': {
      const kto = (text: string, label: boolean, tokens: number, rule: string): CompiledRecord => ({
        line: { prompt: prompt.messages, completion: [assistant(text)], label },
        schema: 'ktoLine',
        tokens: prompt.tokens + tokens,
        rule,
        target: label ? text : null,
      });
      const artifact = decision.failure_category === 'scoring_artifact';
      if (decision.action === 'flag') return artifact ? [] : [kto(failed, false, tokens.failed(), POLARITY.flaggedFalse)];
      const good = kto(answer, true, tokens.answer(), POLARITY.correctionTrue);
      if (unchanged) return [good];
      return [good, artifact ? kto(failed, true, tokens.failed(), POLARITY.artifactTrue) : kto(failed, false, tokens.failed(), POLARITY.correctedFalse)];
    }
  }
}
