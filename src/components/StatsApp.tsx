/**
 * The stats page: review state, what is ready for export, categories per model, task
 * types, and reviewer throughput (time on each decision, recorded in the corrections).
 * Bars where a picture reads better than a table; every figure is also text.
 */
import { createResource, createSignal, For, onMount, Show } from 'solid-js';
import { createLocalBackend } from '../client/local-backend.ts';
import type { LabelBackend } from '../lib/label-backend.ts';
import type { StateCounts } from '../lib/stats.ts';
import { FAILURE_CATEGORIES } from '../lib/schemas.ts';

export interface StatsAppProps {
  /** Where the stats come from; the local label server when not given. */
  backend?: LabelBackend;
}

const STATES: { key: keyof StateCounts; label: string }[] = [
  { key: 'undecided', label: 'Undecided' },
  { key: 'correct', label: 'Correct' },
  { key: 'discard', label: 'Discard' },
  { key: 'flag', label: 'Flag' },
  { key: 'conflict', label: 'Conflict' },
];

function Bars(props: { rows: { label: string; value: number; class?: string }[]; total?: number; caption: string }) {
  const max = () => props.total ?? Math.max(1, ...props.rows.map((r) => r.value));
  return (
    <figure class="bars">
      <figcaption>{props.caption}</figcaption>
      <For each={props.rows}>
        {(r) => (
          <div class="bar-row">
            <span class="bar-label">{r.label}</span>
            <span class="bar-track" aria-hidden="true">
              <span class={`bar ${r.class ?? ''}`} style={{ width: `${(100 * r.value) / max()}%` }} />
            </span>
            <span class="bar-value">{r.value}</span>
          </div>
        )}
      </For>
    </figure>
  );
}

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

export function StatsApp(props: StatsAppProps) {
  // Fetched once mounted: Astro also renders the island at build time, where there is no server to ask.
  const [mounted, setMounted] = createSignal(false);
  onMount(() => setMounted(true));
  const [resource] = createResource(mounted, () => (props.backend ?? createLocalBackend()).stats());
  // `.latest` does not suspend the island (see FilterBar).
  const stats = () => (resource.error ? undefined : resource.latest);
  return (
    <Show when={stats()} fallback={<p>{resource.error ? `Stats unavailable: ${(resource.error as Error).message}` : 'Loading…'}</p>}>
      {(s) => {
        const t = s().totals;
        const categories = [...FAILURE_CATEGORIES.map((c) => ({ value: c.value as string, label: c.label })), { value: 'none', label: 'None given' }];
        const maxCell = Math.max(1, ...Object.values(s().by_model_category).flatMap((m) => Object.values(m)));
        return (
          <div class="stats">
            <p class="stats-summary">
              <strong>{t.candidates}</strong> candidates: <strong>{t.decided}</strong> decided, <strong data-testid="ready">{t.ready_for_export}</strong> ready for export (decisions resolved by {s().resolve}).
            </p>
            <Bars caption="Review state" total={t.candidates} rows={STATES.map((st) => ({ label: st.label, value: t[st.key], class: `state-${st.key}` }))} />
            <Bars caption="Decided per task type" rows={Object.entries(s().by_task_type).map(([k, c]) => ({ label: k, value: c.decided }))} />
            <section>
              <h2>Failure categories per model</h2>
              <div class="table-wrap">
                <table class="matrix">
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <For each={categories}>{(c) => <th scope="col">{c.label}</th>}</For>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={Object.entries(s().by_model_category)} fallback={<tr><td colSpan={categories.length + 1}>No decisions yet.</td></tr>}>
                      {([model, row]) => (
                        <tr>
                          <th scope="row">{model}</th>
                          <For each={categories}>
                            {(c) => {
                              const n = row[c.value] ?? 0;
                              return <td style={{ 'background-color': `rgba(36, 86, 199, ${(0.6 * n) / maxCell})` }}>{n}</td>;
                            }}
                          </For>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </section>
            <section>
              <h2>Progress per run</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Decided</th>
                    <th scope="col">Ready for export</th>
                    <th scope="col">Conflicts</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={Object.entries(s().by_run)}>
                    {([run, c]) => (
                      <tr>
                        <th scope="row">{run}</th>
                        <td>
                          <progress max={c.candidates} value={c.decided} aria-label={`${run}: ${c.decided} of ${c.candidates} decided`} /> {c.decided}/{c.candidates}
                        </td>
                        <td>{c.ready_for_export}</td>
                        <td>{c.conflict}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </section>
            <section>
              <h2>Reviewer throughput</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Reviewer</th>
                    <th scope="col">Decisions</th>
                    <th scope="col">Median time per decision</th>
                    <th scope="col">Decisions per hour of review</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={Object.entries(s().throughput)}>
                    {([email, r]) => (
                      <tr>
                        <th scope="row">{email}</th>
                        <td>{r.decisions}</td>
                        <td>{seconds(r.median_ms)}</td>
                        <td>{r.per_hour ?? '–'}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <p class="muted">Times come from the review page (time from a card showing to the decision); decisions made with <code>plover submit</code> have none.</p>
            </section>
          </div>
        );
      }}
    </Show>
  );
}
