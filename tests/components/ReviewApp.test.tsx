// @vitest-environment jsdom
// The review page in jsdom against the review service over the in-memory committer:
// keyboard, undo, retry, paging and filters, checked against what was committed.
// Chromium (tests/e2e) keeps what only a browser shows: layout, focus, the real server.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionJournal } from '../../src/client/decision-journal.ts';
import { ReviewApp } from '../../src/components/ReviewApp.tsx';
import { parseCorrection } from '../../src/lib/records/correction.ts';
import { PloverError } from '../../src/lib/errors.ts';
import type { MemoryCommitter } from '../helpers/memory-committer.ts';
import { memoryService } from '../helpers/memory-service.ts';
import { ann } from '../helpers/reviewers.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

function mount(candidates: Record<string, unknown>[], filters: Record<string, string> = {}) {
  const { service, committer } = memoryService(candidates);
  render(() => <ReviewApp backend={service.backend(ann)} filters={filters} />);
  return { service, committer };
}

/** The id on the card shown, once there is one. */
const shown = () => screen.getByRole('article', { name: 'Candidate' }).getAttribute('data-candidate-id');
const press = (key: string, init: KeyboardEventInit = {}) => fireEvent.keyDown(document.body, { key, ...init });
/** The decisions committed so far, in commit order (removals as `undo`). */
const committed = (committer: MemoryCommitter) =>
  committer.commits.map((c) =>
    c.text === null
      ? ['undo', c.path.split('/')[2]!.split('--')[0]]
      : [parseCorrection(c.text, c.path).correction!.action, parseCorrection(c.text, c.path).correction!.candidate_id],
  );
const correctionOf = (committer: MemoryCommitter, id: string) => {
  const c = [...committer.commits].reverse().find((c) => c.text !== null && c.text.includes(`"${id}"`))!;
  return parseCorrection(c.text!, c.path).correction!;
};

describe('the review page (jsdom, in-memory committer)', () => {
  it('decides by keyboard: d discards, 2 then f flags with a category, j and k move, u undoes the last', async () => {
    const { committer } = mount(ids(5).map((id) => ({ id })));
    await waitFor(() => expect(shown()).toBe('c01'));
    press('d');
    expect(shown()).toBe('c02');
    press('2');
    expect(screen.getAllByRole('button', { pressed: true }).map((b) => b.textContent)).toEqual([expect.stringContaining('Style violation')]);
    const live = () => document.querySelector('[aria-live="polite"]')!.textContent;
    expect(live()).toBe('Style violation chosen.');
    press('f');
    expect(shown()).toBe('c03');
    press('k');
    expect(shown()).toBe('c02');
    expect(live()).toBe('Candidate c02, decided.');
    press('j');
    expect(shown()).toBe('c03');
    await waitFor(() =>
      expect(committed(committer)).toEqual([
        ['discard', 'c01'],
        ['flag', 'c02'],
      ]),
    );
    expect(correctionOf(committer, 'c02').failure_category).toBe('style_violation');
    await waitFor(() => expect(screen.getByTestId('count-flag').textContent).toBe('1'));
    expect(screen.getByTestId('remaining').textContent).toBe('3');
    press('u');
    await waitFor(() => expect(committed(committer).at(-1)).toEqual(['undo', expect.any(String)]));
    await waitFor(() => expect(shown()).toBe('c02'));
    expect(screen.getByTestId('count-flag').textContent).toBe('0');
    expect(screen.getByTestId('remaining').textContent).toBe('4');
  });

  it('corrects with Ctrl+Enter, refuses a blank correction, and asks before committing an unchanged answer', async () => {
    const { committer } = mount([{ id: 'c01', model_response: 'Paris' }, { id: 'c02' }, { id: 'c03' }]);
    await waitFor(() => expect(shown()).toBe('c01'));
    const box = screen.getByLabelText('Corrected response') as HTMLTextAreaElement;
    expect(box.value).toBe('Paris');
    press('Enter', { ctrlKey: true });
    const ask = await screen.findByText("Unchanged: was the model's answer right?");
    expect(committer.commits).toEqual([]);
    fireEvent.click(within(ask.closest('div')!).getByRole('button', { name: 'Yes: Correct as Scoring artifact' }));
    await waitFor(() => expect(committer.commits).toHaveLength(1));
    expect(correctionOf(committer, 'c01')).toMatchObject({ action: 'correct', unchanged: true, failure_category: 'scoring_artifact', corrected_response: 'Paris' });
    expect(shown()).toBe('c02');
    fireEvent.input(box, { target: { value: '   ' } });
    press('Enter', { ctrlKey: true });
    expect(screen.getByRole('alert').textContent).toMatch(/Write the corrected response/);
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(box.getAttribute('aria-describedby')!)!.textContent).toMatch(/Write the corrected response/);
    fireEvent.input(box, { target: { value: '4\r\n' } });
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(committer.commits).toHaveLength(2));
    expect(correctionOf(committer, 'c02').corrected_response).toBe('4');
  });

  it('keeps a failed commit listed; Retry commits it with the time first spent on the candidate', async () => {
    const { committer } = mount(ids(3).map((id) => ({ id })));
    await waitFor(() => expect(shown()).toBe('c01'));
    committer.gate = async () => {
      committer.gate = null;
      throw new Error('disk on fire');
    };
    await new Promise((r) => setTimeout(r, 60));
    press('d');
    const failed = await screen.findByText(/disk on fire/);
    const entry = failed.closest('li')!;
    expect(entry.getAttribute('data-state')).toBe('failed');
    // The row appears as an alert, which a screen reader announces.
    expect(entry.getAttribute('role')).toBe('alert');
    expect(committer.commits).toEqual([]);
    fireEvent.click(within(entry).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(committed(committer)).toEqual([['discard', 'c01']]));
    expect(correctionOf(committer, 'c01').duration_ms).toBeGreaterThanOrEqual(50);
  });

  it('lists each problem of a refused decision under its entry, as the label server or the service names them', async () => {
    const { committer } = mount(ids(2).map((id) => ({ id })));
    await waitFor(() => expect(shown()).toBe('c01'));
    const problems = [
      { file: 'decision', path: 'corrected_response', message: 'makes a correction of 2000000 bytes, over the 1048576-byte limit of a correction file; shorten it' },
      { file: 'decision', path: 'failure_category', message: 'must be one of the categories' },
    ];
    committer.gate = async () => {
      committer.gate = null;
      throw new PloverError('E_INVALID_DECISION', `invalid decision:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, { problems });
    };
    press('d');
    const entry = (await screen.findByText('invalid decision:', { exact: false })).closest('li')!;
    expect(entry.getAttribute('data-state')).toBe('failed');
    expect(
      within(entry)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(problems.map((p) => `${p.path}: ${p.message}`));
    expect(entry.querySelector('.commit-error')!.textContent!.trim()).toBe('invalid decision:');
  });

  it('asks before the page is left while a decision is not stored, and keeps it in the journal until its commit is', async () => {
    const leaving = () => !fireEvent(window, new Event('beforeunload', { cancelable: true }));
    for (const journal of [undefined, new DecisionJournal('https://git.example.org/t.git', ann.email)]) {
      const { service, committer } = memoryService(ids(3).map((id) => ({ id })));
      let release!: () => void;
      committer.gate = () => new Promise<void>((r) => (release = r));
      render(() => <ReviewApp backend={service.backend(ann)} filters={{}} {...(journal ? { journal } : {})} />);
      await waitFor(() => expect(shown()).toBe('c01'));
      expect(leaving()).toBe(false);
      press('f');
      const kept = () => Object.keys(localStorage).filter((k) => k.startsWith('plover.journal:'));
      // Without a journal the decision exists only in the page until committed; with one it is kept at once.
      expect(leaving()).toBe(journal === undefined);
      expect(kept()).toHaveLength(journal ? 1 : 0);
      if (journal) expect(JSON.parse(localStorage.getItem(kept()[0]!)!)).toMatchObject({ decision: { candidate_id: 'c01', action: 'flag' }, tab: journal.tab });
      await waitFor(() => expect(release).toBeTypeOf('function'));
      committer.gate = null;
      release();
      await waitFor(() => expect(committer.commits).toHaveLength(1));
      await waitFor(() => expect(leaving()).toBe(false));
      expect(kept()).toEqual([]);
      cleanup();
    }
  });

  it('keeps focus in the shortcut sheet and gives it back on closing: to the button that opened it, or to the card', async () => {
    mount(ids(3).map((id) => ({ id })));
    await waitFor(() => expect(shown()).toBe('c01'));
    const opener = screen.getByRole('button', { name: 'Shortcuts (?)' });
    opener.focus();
    fireEvent.click(opener);
    const close = await screen.findByRole('button', { name: 'Close' });
    await waitFor(() => expect(document.activeElement).toBe(close));
    fireEvent.keyDown(close, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    fireEvent.click(close);
    await waitFor(() => expect(document.activeElement).toBe(opener));
    (document.activeElement as HTMLElement).blur();
    press('?');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' })));
    press('Escape');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement?.getAttribute('aria-label')).toBe('Current candidate'));
  });

  it('keeps an unsubmitted correction as a draft through j/k, a new filter and a reload; Esc or a decision drops it', async () => {
    const { service, committer } = memoryService(ids(3).map((id) => ({ id, model_response: `answer ${id}` })));
    const app = () => render(() => <ReviewApp backend={service.backend(ann)} filters={{}} />);
    app();
    await waitFor(() => expect(shown()).toBe('c01'));
    const box = () => screen.getByLabelText(/Corrected response/) as HTMLTextAreaElement;
    expect(screen.queryByTestId('draft')).toBeNull();
    fireEvent.input(box(), { target: { value: 'a better answer, half written' } });
    expect(screen.getByTestId('draft')).toBeTruthy();
    press('j');
    expect(box().value).toBe('answer c02');
    expect(screen.queryByTestId('draft')).toBeNull();
    press('k');
    expect(box().value).toBe('a better answer, half written');
    cleanup();
    app(); // a reload
    await waitFor(() => expect(shown()).toBe('c01'));
    expect(box().value).toBe('a better answer, half written');
    expect(screen.getByTestId('draft')).toBeTruthy();
    press('Escape');
    expect(box().value).toBe('answer c01');
    expect(Object.keys(localStorage).filter((k) => k.startsWith('plover.draft:'))).toEqual([]);
    fireEvent.input(box(), { target: { value: 'the right answer' } });
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(committer.commits).toHaveLength(1));
    expect(correctionOf(committer, 'c01').corrected_response).toBe('the right answer');
    expect(Object.keys(localStorage).filter((k) => k.startsWith('plover.draft:'))).toEqual([]);
  });

  it('says how many candidates match when the filters change', async () => {
    mount(ids(6).map((id, i) => ({ id, model_response: i % 2 ? `needle ${id}` : 'hay' })));
    await waitFor(() => expect(shown()).toBe('c01'));
    // The filters are rendered once their section is open.
    fireEvent.click(screen.getByText('Filters and sort'));
    const search = await screen.findByRole('searchbox').catch(() => screen.getByLabelText(/Search/i));
    fireEvent.input(search, { target: { value: 'needle' } });
    fireEvent.change(search, { target: { value: 'needle' } });
    await waitFor(() => expect(document.querySelector('[aria-live="polite"]')!.textContent).toBe('3 candidates match these filters.'));
    expect(shown()).toBe('c02');
  });

  it('pages through a long queue: 45 candidates decided one after another, then nothing left', async () => {
    const all = ids(45);
    const { committer } = mount(all.map((id) => ({ id })));
    for (const id of all) {
      await waitFor(() => expect(shown()).toBe(id));
      press('d');
    }
    await screen.findByText(/Nothing left to review/);
    await waitFor(() => expect(committer.commits).toHaveLength(45));
    expect(committed(committer).map(([, id]) => id)).toEqual(all);
  });

  it('shows only what the filters match, decided ones included when asked', async () => {
    const candidates = ids(6).map((id, i) => ({ id, model_response: i % 2 ? `needle ${id}` : 'hay' }));
    const first = memoryService(candidates);
    await first.service.decide(ann, { candidate_id: 'c02', action: 'flag' });
    render(() => <ReviewApp backend={first.service.backend(ann)} filters={{ q: 'needle' }} />);
    await waitFor(() => expect(shown()).toBe('c04'));
    press('j');
    expect(shown()).toBe('c06');
    press('j');
    expect(screen.queryByRole('article', { name: 'Candidate' })).toBeNull();
    cleanup();
    render(() => <ReviewApp backend={first.service.backend(ann)} filters={{ state: 'decided' }} />);
    await waitFor(() => expect(shown()).toBe('c02'));
    // Decided before this page was opened: the page says so, from the history.
    await waitFor(() => expect(document.querySelector('.decided-banner')?.textContent).toMatch(/^You decided Flag on .+, commit [0-9a-f]{7}\. A new decision replaces it\.$/));
    press('j');
    expect(screen.queryByRole('article', { name: 'Candidate' })).toBeNull();
  });
});
