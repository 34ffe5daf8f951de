/**
 * Filters and sort order of the queue, with progress per run. The values are query
 * parameters (lib/review/queue-filter.ts), which ReviewApp keeps in the page's URL.
 */
import { createResource, For, Show } from 'solid-js';
import type { Facet, LabelBackend } from '../lib/review/label-backend.ts';
import { FAILURE_CATEGORIES } from '../lib/records/schemas.ts';

export interface FilterBarProps {
  backend: LabelBackend;
  value: Record<string, string>;
  onChange: (value: Record<string, string>) => void;
  /** Changes when progress may have changed. */
  version: number;
}

export function FilterBar(props: FilterBarProps) {
  // Read through `.latest`: it keeps the last value while refetching instead of suspending.
  // Astro wraps each island in <Suspense>, and suspending it detaches the whole page's DOM
  // (focus falls to <body> while the reviewer types).
  const [resource] = createResource(
    () => props.version,
    () => props.backend.facets(),
  );
  const facets = () => resource.latest;
  const set = (key: string, v: string) => {
    const next = { ...props.value };
    if (v === '') delete next[key];
    else next[key] = v;
    props.onChange(next);
  };
  const select = (key: string, label: string, options: () => Facet[] | undefined) => (
    <label>
      {label}
      <select value={props.value[key] ?? ''} onChange={(e) => set(key, e.currentTarget.value)}>
        <option value="">all</option>
        {/* `selected` on the option: the choices arrive after the value, and a select keeps no value it has no option for. */}
        <For each={options()}>{(f) => <option value={f.id} selected={props.value[key] === f.id}>{`${f.label} (${f.decided}/${f.total})`}</option>}</For>
      </select>
    </label>
  );
  return (
    <form class="filters" aria-label="Filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {select('run', 'Run', () => facets()?.runs)}
      {select('model', 'Model', () => facets()?.models)}
      {select('task_type', 'Task type', () => facets()?.task_types)}
      <label>
        Score from
        <input type="number" min="0" max="1" step="0.05" inputmode="decimal" value={props.value.score_min ?? ''} onChange={(e) => set('score_min', e.currentTarget.value)} />
      </label>
      <label>
        to
        <input
          type="number"
          aria-label="Score to"
          min="0"
          max="1"
          step="0.05"
          inputmode="decimal"
          value={props.value.score_max ?? ''}
          onChange={(e) => set('score_max', e.currentTarget.value)}
        />
      </label>
      <label>
        Review state
        <select value={props.value.state ?? 'undecided'} onChange={(e) => set('state', e.currentTarget.value === 'undecided' ? '' : e.currentTarget.value)}>
          <option value="undecided">not decided by me</option>
          <option value="decided">decided by me</option>
          <option value="all">all</option>
          <option value="conflict">in conflict between reviewers</option>
        </select>
      </label>
      <label>
        My category
        <select value={props.value.category ?? ''} onChange={(e) => set('category', e.currentTarget.value)}>
          <option value="">any</option>
          <For each={FAILURE_CATEGORIES}>{(c) => <option value={c.value}>{c.label}</option>}</For>
          <option value="none">none given</option>
        </select>
      </label>
      <label>
        Sort
        <select value={props.value.sort ?? 'file'} onChange={(e) => set('sort', e.currentTarget.value === 'file' ? '' : e.currentTarget.value)}>
          <option value="file">as imported</option>
          <option value="score">score, lowest first</option>
          <option value="-score">score, highest first</option>
          <option value="time">time, oldest first</option>
          <option value="-time">time, newest first</option>
        </select>
      </label>
      <label class="search">
        Search
        <input type="search" placeholder="prompt or response text" value={props.value.q ?? ''} onChange={(e) => set('q', e.currentTarget.value.trim())} />
      </label>
      <Show when={Object.keys(props.value).length}>
        <button type="button" onClick={() => props.onChange({})}>
          Clear filters
        </button>
      </Show>
      <Show when={facets()}>
        <details class="progress">
          <summary>Progress per run</summary>
          <ul>
            <For each={facets()!.runs}>
              {(r) => (
                <li>
                  <span class="run-name">{r.label}</span> <progress max={r.total} value={r.decided} aria-label={`${r.label}: ${r.decided} of ${r.total} decided`} /> {r.decided}/
                  {r.total}
                </li>
              )}
            </For>
          </ul>
        </details>
      </Show>
    </form>
  );
}
