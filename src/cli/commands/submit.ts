/** `plover submit`: one decision, or many from a file (`--from`). */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_CORRECTION_BYTES, parseCorrection, recordsDecision, type Decision } from '../../lib/records/correction.ts';
import { correctionPath } from '../../lib/records/paths.ts';
import { PloverError, formatProblem } from '../../lib/errors.ts';
import { formatReviewer } from '../../lib/records/reviewer.ts';
import type { Action, StartingPoint } from '../../lib/records/schema-types.generated.ts';
import { startingPoint } from '../../lib/review/siblings.ts';
import { ACTIONS } from '../../lib/records/schemas.ts';
import { resolveReviewer } from '../../node/identity.ts';
import { Workspace } from '../../node/workspace.ts';
import { plural } from '../../lib/plural.ts';
import cliProgress from 'cli-progress';
import { MAX_DECISION_FILE_BYTES, parseDecisionFile } from '../../lib/records/decision-file.ts';
import { CATEGORY_CHOICES, categoryOf, oneOf, parse, readTextFile } from '../args.ts';
import { noCandidateMessage } from '../../lib/records/candidates.ts';

export async function submit(args: string[]): Promise<void> {
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
  console.log(
    `${result.oid.slice(0, 7)} ${action}${result.correction.unchanged ? ' (unchanged)' : ''} ${candidateId}${category ? ` [${category}]` : ''} by ${formatReviewer(reviewer)}\n  ${result.path}`,
  );
}

/** The start `KIND[:ID]` of a candidate's correction, as the review page offers it (ReviewService.context). */
async function startOf(workspace: Workspace, candidateId: string, spec: string): Promise<StartingPoint> {
  const [kind, ...rest] = spec.split(':');
  const id = rest.length ? rest.join(':') : undefined;
  const candidate = await workspace.service.index.candidate(candidateId);
  if (!candidate) throw new PloverError('E_UNKNOWN_CANDIDATE', noCandidateMessage(candidateId));
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
    throw new PloverError('E_INVALID_DECISION', `${plural(problems.length, 'problem')} in ${file}; nothing was committed:\n${problems.map(formatProblem).join('\n')}`, {
      problems,
    });
  }
  const bar =
    decisions.length >= 20 && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: 'committing [{bar}] {value}/{total} decisions, {eta_formatted} left', stream: process.stderr, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(decisions.length, 0);
  let committed = 0;
  let already = 0;
  try {
    for (const { line, decision } of decisions) {
      // A file run again after it stopped half-way: what is committed as written is not committed twice.
      const path = correctionPath(decision.candidate_id, reviewer.email);
      const existing = await readFile(join(dir, path), 'utf8').then(
        (text) => parseCorrection(text, path).correction,
        () => undefined,
      );
      if (existing && recordsDecision(existing, decision)) already++;
      else {
        try {
          await whileGitIsBusy(() => workspace.service.decide(reviewer, decision));
        } catch (err) {
          if (err instanceof PloverError) {
            throw new PloverError(
              err.code,
              `${file}:${line}: ${err.message}; the ${plural(committed, 'decision')} before it ${committed === 1 ? 'is' : 'are'} committed${already ? ` (and ${already} already were)` : ''}, the rest are not; run the same command again to go on`,
              { cause: err },
            );
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
