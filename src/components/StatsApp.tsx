/**
 * The stats page: review state, what is ready for export, categories per model, task
 * types, and reviewer throughput (time on each decision, recorded in the corrections).
 * Bars where a picture reads better than a table; every figure is also text.
 */
import { createResource, createSignal, For, onMount, Show, type JSX } from 'solid-js';
import { createLocalBackend } from '../client/local-backend.ts';
import type { LabelBackend } from '../lib/review/label-backend.ts';
import type { StateCounts } from '../lib/review/stats.ts';
import { FAILURE_CATEGORIES } from '../lib/records/schemas.ts';
import { START_KINDS } from '../lib/records/schemas.ts';

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

/** A table with a header row and one row per entry, its first cell the entry's key; it scrolls within its own box when too wide. */
function Table<T>(props: { label: string; headers: string[]; rows: [string, T][]; cells: (row: T, key: string) => JSX.Element; class?: string; empty?: string }) {
  return (
    // Focusable and named: on a narrow screen the box scrolls, and the keyboard must reach it.
    <div class="table-wrap" role="region" aria-label={props.label} tabindex="0">
      <table class={props.class}>
        <thead>
          <tr>
            <For each={props.headers}>{(h) => <th scope="col">{h}</th>}</For>
          </tr>
        </thead>
        <tbody>
          <For
            each={props.rows}
            fallback={
              props.empty ? (
                <tr>
                  <td colSpan={props.headers.length}>{props.empty}</td>
                </tr>
              ) : undefined
            }
          >
            {([key, row]) => (
              <tr>
                <th scope="row">{key}</th>
                {props.cells(row, key)}
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
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
              <strong>{t.candidates}</strong> candidates: <strong>{t.decided}</strong> decided, <strong data-testid="ready">{t.ready_for_export}</strong> ready for export
              (decisions resolved by {s().resolve}).
            </p>
            <Bars caption="Review state" total={t.candidates} rows={STATES.map((st) => ({ label: st.label, value: t[st.key], class: `state-${st.key}` }))} />
            <Bars caption="Decided per task type" rows={Object.entries(s().by_task_type).map(([k, c]) => ({ label: k, value: c.decided }))} />
            <section>
              <h2>Failure categories per model</h2>
              <Table
                label="Failure categories per model"
                class="matrix"
                headers={['Model', ...categories.map((c) => c.label)]}
                rows={Object.entries(s().by_model_category)}
                empty="No decisions yet."
                cells={(row) => (
                  <For each={categories}>
                    {(c) => {
                      const n = row[c.value] ?? 0;
                      return <td style={{ 'background-color': `rgba(36, 86, 199, ${(0.6 * n) / maxCell})` }}>{n}</td>;
                    }}
                  </For>
                )}
              />
            </section>
            <section>
              <h2>Progress per run</h2>
              <Table
                label="Progress per run"
                headers={['Run', 'Decided', 'Ready for export', 'Conflicts']}
                rows={Object.entries(s().by_run)}
                cells={(c, run) => (
                  <>
                    <td>
                      <progress max={c.candidates} value={c.decided} aria-label={`${run}: ${c.decided} of ${c.candidates} decided`} /> {c.decided}/{c.candidates}
                    </td>
                    <td>{c.ready_for_export}</td>
                    <td>{c.conflict}</td>
                  </>
                )}
              />
            </section>
            <Show when={s().team}>
              {(team) => (
                <section>
                  <h2>Team progress</h2>
                  <p>Each candidate is assigned to {team().overlap === 1 ? 'one member' : `${team().overlap} members`} of the team (plover.config.json).</p>
                  <Table
                    label="Team progress"
                    headers={['Member', 'Decided of assigned', 'Still open']}
                    rows={Object.entries(team().members)}
                    cells={(p, member) => (
                      <>
                        <td>
                          <progress max={p.assigned} value={p.decided} aria-label={`${member}: ${p.decided} of ${p.assigned} assigned decided`} /> {p.decided}/{p.assigned}
                        </td>
                        <td>{p.open}</td>
                      </>
                    )}
                  />
                </section>
              )}
            </Show>
            <section>
              <h2>Reviewer throughput</h2>
              <Table
                label="Reviewer throughput"
                headers={['Reviewer', 'Decisions', 'Median time per decision', 'Decisions per hour of review']}
                rows={Object.entries(s().throughput)}
                cells={(r) => (
                  <>
                    <td>{r.decisions}</td>
                    <td>{seconds(r.median_ms)}</td>
                    <td>{r.per_hour ?? '–'}</td>
                  </>
                )}
              />
              <p class="muted">
                Times come from the review page (time from a card showing to the decision); decisions made with <code>plover submit</code> have none.
              </p>
            </section>
            <Show when={Object.keys(s().by_start).length}>
              <section>
                <h2>Corrections by where they started</h2>
                <Table
                  label="Corrections by where they started"
                  headers={['Start', 'Corrections', 'Committed as started', 'Median time per decision']}
                  rows={Object.entries(s().by_start).map(([kind, v]) => [START_KINDS.find((k) => k.value === kind)?.label ?? 'Not recorded', v] as [string, typeof v])}
                  cells={(r) => (
                    <>
                      <td>{r.corrections}</td>
                      <td>
                        {r.unchanged_from_start} ({Math.round((r.unchanged_from_start / r.corrections) * 100)}%)
                      </td>
                      <td>{seconds(r.median_ms)}</td>
                    </>
                  )}
                />
              </section>
            </Show>
          </div>
        );
      }}
    </Show>
  );
}
