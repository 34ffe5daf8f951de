// Generated from schemas/*.schema.json by `npm run gen:types`. Do not edit.

/**
 * The candidate's unique id across all candidate files, chosen by the harness (e.g. 'sftc_b5505e86f70999cf'). Treated as untrusted: file paths are derived from a hash of it, never from the text itself.
 */
export type CandidateId = string;
/**
 * One reviewer's decision about one candidate: one file in corrections/, at the path derived from the candidate id and the reviewer's email (see corrections/README.md). Deciding again overwrites the same file in a new commit; git keeps the history. A file is at most 1 MiB of UTF-8 (no BOM), with no key written twice and no lone surrogate in any string: every writer refuses such a record before writing it, and plover validate and export refuse such a file.
 */
export type Correction = {
  /**
   * The version of this record format. 1 is the current and only version; records keep the version they were written with and stay valid.
   */
  schema_version: 1;
  candidate_id: CandidateId1;
  action: Action;
  /**
   * The response the model should have given. Required and non-blank exactly when action is 'correct'; absent or null for 'discard' and 'flag'. It becomes the assistant message of the export line. The text rule: plover writes it with CRLF and a bare CR turned into LF, the blank lines before the first line with text removed, and everything invisible at the end removed (whitespace, no-break and zero-width spaces); everything else, the first line's indentation included, is kept byte for byte. `plover validate` names a committed file whose text breaks the rule (the file is never rewritten), and the export applies the rule to it.
   */
  corrected_response?: string | null;
  /**
   * Why the model's response failed, if the reviewer said so. Optional with every action: absent and null both mean 'not given' and export as null.
   */
  failure_category?: FailureCategory | null;
  /**
   * true when the corrected response equals the model's response under the text rule: the reviewer confirmed that the model was right (often with the category scoring_artifact). plover refuses such a correction unless the reviewer says so (the page asks; `plover submit` needs --unchanged). Absent when the text differs, for 'discard' and 'flag', and in records written before the field existed.
   */
  unchanged?: true;
  /**
   * true when a team adjudicator (team.adjudicators in plover.config.json) made this decision while the candidate's other reviewers disagreed: it settles the candidate under every --resolve policy (the latest adjudication wins). Written by plover, never taken from the reviewer's input; `plover validate` refuses one by a reviewer who is not listed. Absent otherwise.
   */
  adjudication?: true;
  reviewer: Reviewer;
  /**
   * When the reviewer decided (ISO 8601 with time zone, UTC as written by plover).
   */
  decided_at: string;
  /**
   * How long the reviewer spent on the candidate before deciding, in milliseconds (from the card showing to the decision), as the review page measured it; absent when not measured (e.g. `plover submit`). Used for reviewer throughput in stats.
   */
  duration_ms?: number;
  started_from?: StartingPoint;
};
/**
 * The candidate's unique id across all candidate files, chosen by the harness (e.g. 'sftc_b5505e86f70999cf'). Treated as untrusted: file paths are derived from a hash of it, never from the text itself.
 */
export type CandidateId1 = string;
/**
 * What the reviewer decided.
 */
export type Action = Correct | Discard | Flag;
/**
 * The reviewer wrote the response the model should have given; it becomes a training example.
 */
export type Correct = "correct";
/**
 * The candidate is not worth training on (a bad prompt, a judge error, a duplicate); it is left out of the export.
 */
export type Discard = "discard";
/**
 * The model's behaviour needs attention beyond this example (e.g. unsafe or systematic failure); left out of the export and counted in stats.
 */
export type Flag = "flag";
/**
 * Why the model's response failed the check. The title is the label the review page shows; the description is its help text.
 */
export type FailureCategory =
  ScoringArtifact | StyleViolation | PartialAnswer | WrongAnswer | FormatError | Hallucination;
/**
 * The response was acceptable and the benchmark's judge or check scored it wrongly.
 */
export type ScoringArtifact = "scoring_artifact";
/**
 * The content is right but the tone, length, language or requested style is not.
 */
export type StyleViolation = "style_violation";
/**
 * The response is correct as far as it goes but leaves out part of what was asked.
 */
export type PartialAnswer = "partial_answer";
/**
 * The response answers the question with an incorrect result or reasoning.
 */
export type WrongAnswer = "wrong_answer";
/**
 * The response breaks the required output format (JSON, code, list, template tokens).
 */
export type FormatError = "format_error";
/**
 * The response states facts, sources or details that are made up.
 */
export type Hallucination = "hallucination";
/**
 * Where the corrected response started before the reviewer edited it: the kind of start, the candidate or agent it came from, and the sha256 of the start text (so the edit can be measured against it). Written for 'correct' by the review page and by `plover submit --start-from`; absent in records written before the field existed and when not known.
 */
export type StartingPoint = {
  kind: StartKind;
  candidate_id?: CandidateId2;
  agent?: Agent;
  /**
   * The SHA-256 of the start text (UTF-8), lower-case hex.
   */
  sha256: string;
};
/**
 * What the text started from.
 */
export type StartKind = ModelResponse | SiblingCorrection | ReferenceAnswer | Suggestion | SiblingAnswer;
/**
 * The model's own failed response.
 */
export type ModelResponse = "model_response";
/**
 * The resolved correction of a sibling: a candidate with the same prompt in another run.
 */
export type SiblingCorrection = "sibling_correction";
/**
 * The benchmark's reference answer of the candidate (reference_answer).
 */
export type ReferenceAnswer = "reference";
/**
 * A suggestion imported with `plover suggest import` (suggestions/).
 */
export type Suggestion = "suggestion";
/**
 * The model response of a sibling (the best-scoring first).
 */
export type SiblingAnswer = "sibling_answer";
/**
 * The candidate's unique id across all candidate files, chosen by the harness (e.g. 'sftc_b5505e86f70999cf'). Treated as untrusted: file paths are derived from a hash of it, never from the text itself.
 */
export type CandidateId2 = string;
/**
 * The model or tool that made the suggestion (for suggestion), as given to `plover suggest import --agent`.
 */
export type Agent = string;
/**
 * The candidate's unique id across all candidate files, chosen by the harness (e.g. 'sftc_b5505e86f70999cf'). Treated as untrusted: file paths are derived from a hash of it, never from the text itself.
 */
export type CandidateId3 = string;
/**
 * The candidate's unique id across all candidate files, chosen by the harness (e.g. 'sftc_b5505e86f70999cf'). Treated as untrusted: file paths are derived from a hash of it, never from the text itself.
 */
export type CandidateId4 = string;
/**
 * The resolved decision: 'correct' (the assistant message is the reviewer's corrected response) or, when exported with --action discard|flag, the model's original response. Present with --format full.
 */
export type Action1 = Correct | Discard | Flag;
export type StartingPoint1 = {
  kind: StartKind;
  candidate_id?: CandidateId2;
  agent?: Agent;
  /**
   * The SHA-256 of the start text (UTF-8), lower-case hex.
   */
  sha256: string;
};

/**
 * One model output that failed a benchmark check, as the benchmark harness writes it: one JSON object per line of candidates/<run_id>.jsonl. Candidate files are immutable once imported; review state lives in corrections/, never here. Fields the harness adds beyond these are kept and ignored.
 */
export interface Candidate {
  id: CandidateId;
  /**
   * Where the candidate came from, as '<benchmark>:<judge or check>', e.g. 'mt_bench:gpt-4_single'.
   */
  source?: string;
  /**
   * The benchmark run that produced the candidate; candidates/<benchmark_run_id>.jsonl holds it.
   */
  benchmark_run_id: string;
  /**
   * When the harness produced the model response (ISO 8601).
   */
  timestamp?: string;
  /**
   * The harness's own status for the record (e.g. 'needs_review'). Informational: plover derives review state from corrections/.
   */
  status?: string;
  /**
   * The conversation the model was asked to continue, oldest first. Empty system messages are allowed here and dropped from the export.
   *
   * @minItems 1
   */
  prompt_messages: PromptMessage[];
  /**
   * The model's answer that failed the check. Untrusted text: it may contain HTML, scripts and template tokens, and is always shown as text.
   */
  model_response: string;
  /**
   * A correction the harness already had, if any. Usually null; reviewers' corrections live in corrections/.
   */
  corrected_response?: string | null;
  /**
   * The benchmark's score for the response, from 0 (worst) to 1 (best), or null when the judge gave none. The review page colours it: below 0.4 low, below 0.7 fair, otherwise acceptable.
   */
  quality_score: number | null;
  /**
   * Why the check failed, in the harness's words (judge verdict, content checks), or null.
   */
  failure_reason: string | null;
  /**
   * The benchmark's reference answer to this candidate's last user turn, or null; absent in most runs. MT-Bench ships one for its math, reasoning, coding, extraction and STEM questions. The review page shows it (collapsed) and offers it as a starting point for the correction; the full export carries it. Untrusted text, always shown as text.
   */
  reference_answer?: string | null;
  /**
   * The benchmark's id of the task (question), e.g. 'mt_bench/81'.
   */
  task_id?: string;
  /**
   * The kind of task, e.g. 'writing', 'coding', 'math', 'open_qa'.
   */
  task_type: string;
  /**
   * A short human-readable name for the task.
   */
  task_name?: string;
  /**
   * The id of the model that answered, e.g. a hub repository name.
   */
  model_id: string;
  /**
   * A display name for the model.
   */
  model_name: string;
  /**
   * The machine the harness ran the model on (informational).
   */
  node_id?: string | null;
  /**
   * The GPU index the harness ran the model on (informational).
   */
  gpu_id?: number | null;
  /**
   * Generation speed the harness measured (informational).
   */
  tokens_per_sec?: number | null;
}
/**
 * One message of the prompt conversation.
 */
export interface PromptMessage {
  /**
   * Who speaks: system, user or assistant.
   */
  role: "system" | "user" | "assistant";
  /**
   * The message text (untrusted; shown as text).
   */
  content: string;
}
/**
 * Who decided. The same identity is the author of the commit that adds this file.
 */
export interface Reviewer {
  /**
   * The reviewer's name, as in git config user.name.
   */
  name: string;
  /**
   * The reviewer's email, as in git config user.email. It identifies the reviewer: the correction's file name is derived from it.
   */
  email: string;
}
/**
 * plover.config.json at the repository's root: the hosted site's settings (read by `npm run build`; PLOVER_* environment variables override them), `dataset` for the export's dataset card, and `team` for sharing the work. Every setting is optional; a key that is not listed here is a mistake (`plover validate` names it), not something ignored.
 */
export interface Config {
  /**
   * Free text for the people who edit the file.
   */
  $comment?: string;
  /**
   * The git repository's smart-HTTP URL (https://host/owner/repo.git) that the hosted page clones and pushes to; null for a site without one.
   */
  remote?: string | null;
  /**
   * The branch holding the candidates, into which label pull requests are merged.
   */
  branch?: string;
  /**
   * A CORS proxy in front of the git host (needed for GitHub, GitLab, Bitbucket), or null.
   */
  corsProxy?: string | null;
  /**
   * The path the hosted site is served under, starting and ending with '/'.
   */
  base?: string;
  /**
   * 'review': each reviewer pushes to labels/<reviewer> and opens a pull request; 'branch': straight to `branch`.
   */
  pushTo?: "review" | "branch";
  /**
   * The kind of git host; null guesses it from `remote`.
   */
  host?: "forgejo" | "gitea" | "github" | "gitlab" | null;
  /**
   * The hosted page pushes at most once per this many seconds per tab, carrying every decision that waits (Push now, hiding the page and Sign out push at once); null or absent: 10 s per team member, at least 10 s, which keeps a team within GitHub's recommended 6 pushes a minute per repository. PLOVER_PUSH_INTERVAL overrides it.
   */
  pushIntervalSeconds?: number | null;
  /**
   * What the export's dataset card (README.md beside the export) says of the data.
   */
  dataset?: {
    /**
     * A dataset hub's license id, e.g. apache-2.0.
     */
    license?: string;
    /**
     * The dataset's name on the card.
     */
    pretty_name?: string;
  };
  /**
   * Sharing the work: each candidate goes to `overlap` of the `members` (rendezvous hashing); the decisions of `adjudicators` settle disagreements.
   */
  team?: {
    /**
     * The emails the members sign their decisions with.
     *
     * Items: An email address in printable ASCII: no spaces, no invisible characters (a zero-width space would give a share to nobody) and no look-alike letters from other scripts.
     */
    members?: string[];
    /**
     * How many members review each candidate: 1 or more, and at most the number of members.
     */
    overlap?: number;
    /**
     * The emails of those whose decision settles a candidate its reviewers disagree on.
     *
     * Items: An email address in printable ASCII: no spaces, no invisible characters (a zero-width space would give a share to nobody) and no look-alike letters from other scripts.
     */
    adjudicators?: string[];
  };
}
/**
 * One line of suggestions/<agent>.jsonl: an answer to one candidate proposed by a model or tool (the agent, named by the file), offered on the review page as a starting point for the correction. Written by `plover suggest import FILE --agent NAME`, which checks every line of FILE before anything is written; `plover validate` checks every suggestions file.
 */
export interface SuggestionLine {
  candidate_id: CandidateId3;
  /**
   * The suggested response: non-blank, at most 65,536 characters.
   */
  text: string;
  /**
   * The agent's own confidence or quality score for the text, 0..1, if it gives one; shown beside the suggestion.
   */
  score?: number | null;
}
/**
 * One line of the fine-tuning export. The top level is a line of --format full (the default) or --format messages: a chat conversation in the OpenAI/TRL/Axolotl 'messages' format, where only the last, assistant, message is a training target; earlier assistant messages are context and carry "weight": 0. With --format full plover's ids, labels and metadata stand beside the messages, never inside them; with --format messages a line holds only 'messages'. The other formats are in $defs: prompt_completion_line (--format prompt-completion), preference_line (--format preference), openai_preference_line (--format openai-preference) and kto_line (--format kto). Every target obeys the text rule (CRLF and bare CR to LF, no blank lines before the text, nothing invisible at its end), and every field keeps one JSON type on every line (quality_score is always written with a fraction, e.g. 1.0). Lines are in the order of the candidates' correction paths (a hash of the candidate id), so the same repository always gives the same bytes.
 */
export interface ExportLine {
  /**
   * The prompt messages (empty system messages dropped; the system prompt kept, dropped or merged into the first user message as --system says; a reviewer's correction of an earlier turn in place of the model's answer), followed by the reviewer's corrected response as the last, assistant, message: the only one trained on. Earlier assistant messages carry "weight": 0.
   *
   * @minItems 2
   */
  messages: Message[];
  candidate_id?: CandidateId4;
  action?: Action1;
  /**
   * The failure category of the resolved decision, or null when none was given. Present with --format full.
   */
  failure_category?: FailureCategory | null;
  /**
   * The candidate's benchmark run.
   */
  benchmark_run_id?: string;
  /**
   * The candidate's benchmark task id, or null.
   */
  task_id?: string | null;
  /**
   * The candidate's task type.
   */
  task_type?: string;
  /**
   * The model whose response was corrected.
   */
  model_id?: string;
  /**
   * The benchmark's score of the original response (0..1) or null. Always written with a fraction (1.0, not 1), so that every line infers the same floating-point type.
   */
  quality_score?: number | null;
  /**
   * The candidate's reference answer from the benchmark (candidates' reference_answer), or null. Context for analysis, not a training target.
   */
  reference_answer?: string | null;
  /**
   * The email of the reviewer whose correction gives the text (the latest of those who chose the resolved action).
   */
  reviewer?: string;
  /**
   * When that reviewer decided (ISO 8601).
   */
  decided_at?: string;
  /**
   * Where that reviewer's corrected response started (the correction's started_from: kind, candidate_id or agent, sha256), or null when the correction does not say.
   */
  started_from?: StartingPoint1 | null;
}
/**
 * One chat message.
 */
export interface Message {
  /**
   * system, user or assistant.
   */
  role: "system" | "user" | "assistant";
  /**
   * The message text; never empty.
   */
  content: string;
  /**
   * 0 on an earlier assistant message: context, not trained on (OpenAI's field; the last assistant message, the target, has no weight and is trained on).
   */
  weight?: 0;
}
/**
 * A line of --format prompt-completion: TRL's conversational prompt-completion format. Trainers compute the loss on the completion only by default.
 */
export interface PromptCompletionLine {
  /**
   * The conversation before the answer: the same messages as in --format messages without the last, and without weight (trainers do not train on the prompt).
   *
   * @minItems 1
   */
  prompt: PromptMessage1[];
  /**
   * The reviewer's corrected response (or, with --action discard|flag, the model's own).
   *
   * @minItems 1
   * @maxItems 1
   */
  completion: AssistantMessage[];
}
/**
 * One message of a prompt.
 */
export interface PromptMessage1 {
  /**
   * system, user or assistant (an earlier turn).
   */
  role: "system" | "user" | "assistant";
  /**
   * The message text; never empty.
   */
  content: string;
}
/**
 * One assistant message: an answer.
 */
export interface AssistantMessage {
  /**
   * Always assistant.
   */
  role: "assistant";
  /**
   * The answer text; never empty.
   */
  content: string;
}
/**
 * A line of --format preference: TRL's conversational preference format (DPO, ORPO, …). One line per correction whose text differs from the model's response.
 */
export interface PreferenceLine {
  /**
   * The conversation before the answer: the same messages as in --format messages without the last, and without weight (trainers do not train on the prompt).
   *
   * @minItems 1
   */
  prompt: PromptMessage1[];
  /**
   * The reviewer's corrected response.
   *
   * @minItems 1
   * @maxItems 1
   */
  chosen: AssistantMessage[];
  /**
   * The model's failed response, under the same text rule.
   *
   * @minItems 1
   * @maxItems 1
   */
  rejected: AssistantMessage[];
}
/**
 * A line of --format openai-preference: OpenAI's preference (DPO) fine-tuning format, also read by Together AI and Fireworks. The same pairs as --format preference: one line per correction whose text differs from the model's response and whose category is not scoring_artifact.
 */
export interface OpenAIPreferenceLine {
  /**
   * The conversation before the answer.
   */
  input: {
    /**
     * The same messages as the prompt of --format preference.
     *
     * @minItems 1
     */
    messages: PromptMessage1[];
  };
  /**
   * The reviewer's corrected response.
   *
   * @minItems 1
   * @maxItems 1
   */
  preferred_output: AssistantMessage[];
  /**
   * The model's failed response, under the same text rule.
   *
   * @minItems 1
   * @maxItems 1
   */
  non_preferred_output: AssistantMessage[];
}
/**
 * A line of --format kto: TRL's conversational unpaired preference format. Each correction gives a line with label true (the corrected response) and, unless the correction is the model's response unchanged, a line with label false (the model's failed response).
 */
export interface KTOLine {
  /**
   * The conversation before the answer: the same messages as in --format messages without the last, and without weight (trainers do not train on the prompt).
   *
   * @minItems 1
   */
  prompt: PromptMessage1[];
  /**
   * The corrected response (label true) or the model's failed response (label false).
   *
   * @minItems 1
   * @maxItems 1
   */
  completion: AssistantMessage[];
  /**
   * true: a desirable answer; false: an undesirable one.
   */
  label: boolean;
}
