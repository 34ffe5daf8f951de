/**
 * One candidate as the reviewer reads it. Every text comes from outside: names and
 * reasons are text nodes; prompts and the response are sanitised Markdown (RichText),
 * or text nodes when `raw`.
 */
import { createMemo, For, Show } from 'solid-js';
import { controlTokensIn } from '../lib/export/control-tokens.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { RichText } from './RichText.tsx';

export interface CandidateCardProps {
  candidate: Candidate;
  /** Show prompts and response as typed instead of rendered Markdown. */
  raw?: boolean;
}

/** low below 0.4, fair below 0.7, acceptable from 0.7 (as the candidate schema describes). */
export function scoreBand(score: number | null): 'low' | 'fair' | 'acceptable' | 'none' {
  if (score === null) return 'none';
  return score < 0.4 ? 'low' : score < 0.7 ? 'fair' : 'acceptable';
}

export function CandidateCard(props: CandidateCardProps) {
  const band = () => scoreBand(props.candidate.quality_score);
  const controlTokens = createMemo(() => controlTokensIn(props.candidate.model_response));
  return (
    <article class="card" aria-label="Candidate" data-candidate-id={props.candidate.id}>
      <header class="card-meta">
        <dl>
          <div>
            <dt>Model</dt>
            <dd>{props.candidate.model_name || props.candidate.model_id}</dd>
          </div>
          <div>
            <dt>Task type</dt>
            <dd>{props.candidate.task_type}</dd>
          </div>
          <div>
            <dt>Run</dt>
            <dd>{props.candidate.benchmark_run_id}</dd>
          </div>
          <div>
            <dt>Quality score</dt>
            <dd>
              <span class={`score score-${band()}`} data-band={band()}>
                {props.candidate.quality_score === null ? 'no score' : props.candidate.quality_score.toFixed(2)}
                <span class="score-band"> ({band() === 'none' ? 'not scored' : band()})</span>
              </span>
            </dd>
          </div>
        </dl>
        <p class="card-id">
          <span class="label">Candidate</span> <code>{props.candidate.id}</code>
          <Show when={props.candidate.task_name}>
            {' · '}
            {props.candidate.task_name}
          </Show>
        </p>
      </header>
      <Show when={props.candidate.failure_reason}>
        <section class="failure-reason" aria-label="Why the check failed">
          <h2>Why the check failed</h2>
          <p class="text">{props.candidate.failure_reason}</p>
        </section>
      </Show>
      <Show when={typeof props.candidate.reference_answer === 'string' ? props.candidate.reference_answer : undefined}>
        {(reference) => (
          <details class="reference-answer">
            <summary>Reference answer (from the benchmark)</summary>
            <RichText text={reference()} raw={props.raw ?? false} />
          </details>
        )}
      </Show>
      <section class="prompt" aria-label="Prompt">
        <h2>Prompt</h2>
        <For each={props.candidate.prompt_messages}>
          {(message, i) => (
            <details class={`message role-${message.role}`} open={i() === props.candidate.prompt_messages.length - 1 || message.role === 'user'}>
              <summary>
                <span class="role">{message.role}</span>
                <Show when={message.content === ''}>
                  <span class="empty"> (empty)</span>
                </Show>
              </summary>
              <RichText text={message.content} raw={props.raw ?? false} />
            </details>
          )}
        </For>
      </section>
      <section class="response" aria-label="Model response">
        <h2>Model response</h2>
        <Show when={controlTokens().length}>
          <p class="control-token-note">
            Holds chat-template control tokens ({controlTokens().join(' ')}), marked below: a tokenizer turns them into real turn markers. Leave them out of a correction.
          </p>
        </Show>
        <RichText text={props.candidate.model_response} raw={props.raw ?? false} markControlTokens />
      </section>
    </article>
  );
}
