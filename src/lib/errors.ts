/** One thing wrong with the input: where it is and what to do about it. */
export interface Problem {
  /** The file, relative to the repository root (or as given on the command line). */
  file: string;
  /** 1-based line number in a JSONL file, when the problem is on one line. */
  line?: number;
  /** Dotted JSON path inside the record, e.g. `reviewer.email` or `prompt_messages[0].role`. */
  path?: string;
  message: string;
}

/**
 * Every code a PloverError or the label server's API answers with, and what it means.
 * The CLI prints the message; the pages show it; tests and callers branch on the code.
 */
export const ERROR_CODES = {
  // Input: what the reviewer or the data got wrong. The message names the file, line or option.
  E_USAGE: 'the command line cannot be run as given; the message names the option and the fix',
  E_REVIEWER: 'a reviewer is not of the form "Name <email>", or its email is not valid',
  E_NO_REVIEWER: 'no reviewer given and none in git config (user.name, user.email)',
  E_INVALID_DECISION: 'a decision breaks the correction schema (e.g. a blank corrected response); nothing is written',
  E_UNCHANGED: "a correction equal to the model's response, not marked unchanged; nothing is written",
  E_UNKNOWN_CANDIDATE: 'no candidate in candidates/*.jsonl has this id',
  E_NOTHING_TO_UNDO: 'the reviewer has no decision on this candidate',
  E_INVALID_REPOSITORY: 'candidates or corrections that break their schema; `problems` lists every one',
  E_INVALID_SUGGESTIONS: 'a file given to `plover suggest import` has bad lines (`problems` lists every one); nothing is written',
  E_NOTHING_TO_IMPORT: 'the import found no harness output where it was pointed',
  E_CONTROL_TOKENS: 'the export refused lines with chat-template control tokens (--fail-on-control-tokens); nothing is written',
  E_TEMPLATE: 'the export refused lines that do not render as meant through the chat template (--fail-on-template); nothing is written',
  E_SITE_CONFIG: 'plover.config.json or a PLOVER_* setting is invalid',
  E_BAD_REF: '--ref names no commit',
  E_BAD_OUT:
    '--out names a place an export must not write (inside .git/ or a data folder, a tracked file, a directory or device, a file that is not an earlier export); nothing is written',
  // Git state.
  E_DETACHED_HEAD: 'HEAD is detached; decisions are committed on a branch',
  E_BRANCH_SWITCHED: 'another branch was checked out under a running session; it commits nothing until its branch is back or it is restarted',
  E_REF_MOVED: 'the branch kept moving under the commit (another writer); nothing is lost, try again',
  E_OBJECTS_GONE: 'an object the new commit names vanished before the branch moved (a `git prune` or `git gc --prune=now` beside plover); nothing is committed, try again',
  E_INDEX_LOCKED: "another live process holds git's index.lock",
  E_REF_LOCKED: "another git command holds the branch's lock (`<ref>.lock`) while a decision is committed",
  E_OUTBOX: "the hosted clone's outbox is not plover's own one-file commits on the branch, or holds a commit by another reviewer than the one signed in",
  // The git host (hosted mode).
  E_AUTH: 'the git host refused the access token (HTTP 401 or 403)',
  E_OFFLINE: 'the git host, or the label server, cannot be reached',
  E_PROXY: 'the CORS proxy in front of the git host cannot be reached',
  E_REMOTE: 'the git host answered with an error (HTTP status), or the branch kept moving while pushing',
  E_REFUSED: "the git host refused the push for its own reasons (a hook, a protected branch); the message carries the host's words",
  E_RATE_LIMITED: 'the git host asks to wait (HTTP 429, or 403 with Retry-After, x-ratelimit-remaining: 0 or a secondary rate limit); nothing is sent to it until then',
  E_PROTOCOL: "the git host sent bytes that are not git's smart-HTTP protocol",
  E_STORAGE: 'the browser gives no IndexedDB or Web Locks, or refused to store more (quota)',
  // The label server's API (HTTP).
  E_PORT_IN_USE: 'the port asked for is taken on 127.0.0.1',
  E_NO_SITE: 'the review site is not built',
  E_HOST: 'a request with a Host header other than 127.0.0.1 or localhost (DNS rebinding)',
  E_ORIGIN: 'a write from another origin',
  E_METHOD: 'an HTTP method the site does not serve',
  E_BAD_JSON: 'a request body that is not a JSON object',
  E_BAD_PATH: 'a malformed URL path',
  E_TOO_LARGE: 'a request body over 4 MB',
  E_NOT_FOUND: 'no such API route or file',
  E_INTERNAL: 'a bug: the server log has the stack',
  E_HTTP: 'the label server answered an error without a body the page can read',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `code` (e.g. from the label server's JSON, or another thread) is one of plover's. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The one error class of plover. `code` says what kind of failure it is (tests and the
 * CLI branch on it); `problems` lists every bad input found, so callers fail once with all.
 */
export class PloverError extends Error {
  readonly code: ErrorCode;
  readonly problems: Problem[];
  /** How long the other side asked to wait before trying again (E_RATE_LIMITED), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message: string, options: { problems?: Problem[]; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PloverError';
    this.code = code;
    this.problems = options.problems ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** `file:line: path: message`, the way compilers print, so editors and CI logs link it. */
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/**
 * The `code` of a thrown value: Node's system errors (`ENOENT`, `EEXIST`…), isomorphic-git's
 * errors (`NotFoundError`…), a PloverError's, or undefined for anything without one.
 */
export function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a decision meets this error every time it is sent (invalid, unchanged, no such candidate): retrying cannot help. */
export function failsForGood(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'E_INVALID_DECISION' || code === 'E_UNCHANGED' || code === 'E_UNKNOWN_CANDIDATE';
}
