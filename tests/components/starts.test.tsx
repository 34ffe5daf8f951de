// @vitest-environment jsdom
// Starting points on the review page (jsdom, in-memory committer): `s` cycles through the
// starts the service offers, a button takes one, and the correction records where it started.
import { cleanup, fireEvent, render, screen, waitFor } from '@solidjs/testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { ReviewApp } from '../../src/components/ReviewApp.tsx';
import { parseCorrection } from '../../src/lib/records/correction.ts';
import type { MemoryCommitter } from '../helpers/memory-committer.ts';
import { sha256Hex } from '../../src/lib/records/paths.ts';
import type { Reviewer } from '../../src/lib/records/schema-types.generated.ts';
import { memoryService } from '../helpers/memory-service.ts';
import { ann } from '../helpers/reviewers.ts';

const bob: Reviewer = { name: 'Bob', email: 'bob@example.org' };

afterEach(() => {
  cleanup();
  localStorage.clear();
});

// jsdom has <dialog> without its modal methods: the page's confirmations need them.
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.setAttribute('open', '');
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.removeAttribute('open');
};

const user = (content: string) => [{ role: 'user', content }];
const shown = () => screen.getByRole('article', { name: 'Candidate' }).getAttribute('data-candidate-id');
const press = (key: string, init: KeyboardEventInit = {}) => fireEvent.keyDown(document.body, { key, ...init });
const box = () => screen.getByLabelText(/Corrected response/) as HTMLTextAreaElement;
const lastCorrection = (committer: MemoryCommitter) => {
  const c = committer.commits.at(-1)!;
  return parseCorrection(c.text!, c.path).correction!;
};

function mount() {
  const { service, committer } = memoryService([
    { id: 'q1-a', prompt_messages: user('What is 7*8?'), model_response: '54', quality_score: 0.1, reference_answer: '7*8 = 56.' },
    { id: 'q1-b', prompt_messages: user('What is 7*8?'), model_response: 'It is 56.', quality_score: 0.9, benchmark_run_id: 'run_b', model_id: 'm-b', model_name: 'Model B' },
    { id: 'q1-c', prompt_messages: user('What is 7*8?'), model_response: '57', quality_score: 0.3, benchmark_run_id: 'run_c', model_id: 'm-c', model_name: 'Model C' },
    { id: 'q2', prompt_messages: user('Name a prime.'), model_response: '9', quality_score: 0 },
  ]);
  service.suggestions = new Map([['q1-a', [{ agent: 'helper-llm', text: 'The answer is 56.', score: 0.8 }]]]);
  return { service, committer };
}

describe('starting points (jsdom, in-memory committer)', () => {
  it('s takes the first start and cycles: a sibling’s correction, the reference, a suggestion, the siblings’ answers best first, the model response', async () => {
    const { service, committer } = mount();
    // Bob corrected sibling q1-c already.
    await service.decide(bob, { candidate_id: 'q1-c', action: 'correct', corrected_response: '7 × 8 = 56' });
    render(() => <ReviewApp backend={service.backend(ann)} />);
    await waitFor(() => expect(shown()).toBe('q1-a'));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Sibling correction|Reference answer|Suggestion|Sibling answer|Model response/ })).toHaveLength(6));
    expect(screen.getByText(/2 siblings: the same question in other runs/)).toBeTruthy();
    expect(screen.getByText('Reference answer (from the benchmark)')).toBeTruthy();
    const texts: string[] = [];
    for (let i = 0; i < 7; i++) {
      press('s');
      texts.push(box().value);
    }
    expect(texts).toEqual(['7 × 8 = 56', '7*8 = 56.', 'The answer is 56.', 'It is 56.', '57', '54', '7 × 8 = 56']);
    expect(document.querySelector('[aria-live="polite"]')!.textContent).toBe('Started from Sibling correction (Model C).');
    // A click takes the suggestion; an edit follows; Correct records the start.
    fireEvent.click(screen.getByRole('button', { name: /Suggestion · helper-llm/ }));
    expect(box().value).toBe('The answer is 56.');
    fireEvent.input(box(), { target: { value: 'The answer is 56, since 7 × 8 = 56.' } });
    expect(screen.getByText('Changes to the start (Suggestion)')).toBeTruthy();
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(lastCorrection(committer).candidate_id).toBe('q1-a'));
    expect(lastCorrection(committer).started_from).toEqual({ kind: 'suggestion', agent: 'helper-llm', sha256: sha256Hex('The answer is 56.') });
    // With no start taken, a correction records the model's response as its start.
    await waitFor(() => expect(shown()).toBe('q1-b'));
    fireEvent.input(box(), { target: { value: 'It is 56: seven eights are fifty-six.' } });
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(lastCorrection(committer).candidate_id).toBe('q1-b'));
    expect(lastCorrection(committer).started_from).toEqual({ kind: 'model_response', sha256: sha256Hex('It is 56.') });
    // q2 has no sibling: s takes its only start, the model response; Discard records no start.
    await waitFor(() => expect(shown()).toBe('q1-c'));
    press('j');
    await waitFor(() => expect(shown()).toBe('q2'));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Model response/ })).toHaveLength(1));
    press('d');
    await waitFor(() => expect(lastCorrection(committer).candidate_id).toBe('q2'));
    expect(lastCorrection(committer).started_from).toBeUndefined();
  });

  it('records no start for a draft kept from an earlier visit, unless a start is taken again', async () => {
    const { service, committer } = mount();
    render(() => <ReviewApp backend={service.backend(ann)} />);
    await waitFor(() => expect(shown()).toBe('q1-a'));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Reference answer/ })).toHaveLength(1));
    press('s');
    fireEvent.input(box(), { target: { value: '7*8 = 56, as the reference says.' } });
    cleanup();
    render(() => <ReviewApp backend={service.backend(ann)} />);
    await waitFor(() => expect(box().value).toBe('7*8 = 56, as the reference says.'));
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(committer.commits).toHaveLength(1));
    expect(lastCorrection(committer).started_from).toBeUndefined();
  });

  it('Esc drops the start taken with the edit', async () => {
    const { service, committer } = mount();
    render(() => <ReviewApp backend={service.backend(ann)} />);
    await waitFor(() => expect(shown()).toBe('q1-a'));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Reference answer/ })).toHaveLength(1));
    press('s');
    expect(box().value).toBe('7*8 = 56.');
    press('Escape');
    expect(box().value).toBe('54');
    fireEvent.input(box(), { target: { value: '56' } });
    press('Enter', { ctrlKey: true });
    await waitFor(() => expect(lastCorrection(committer).candidate_id).toBe('q1-a'));
    expect(lastCorrection(committer).started_from).toEqual({ kind: 'model_response', sha256: sha256Hex('54') });
  });

  it('settles the siblings: one confirmed action corrects every sibling not decided by me the same way, each recording its start; one Undo takes the batch back', async () => {
    const { service, committer } = mount();
    await service.decide(ann, { candidate_id: 'q1-c', action: 'discard' });
    render(() => <ReviewApp backend={service.backend(ann)} />);
    await waitFor(() => expect(shown()).toBe('q1-a'));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Reference answer/ })).toHaveLength(1));
    fireEvent.input(box(), { target: { value: 'Seven times eight is 56.' } });
    press('4');
    press('Enter', { ctrlKey: true });
    const offer = await screen.findByRole('button', { name: 'Same correction for 1 sibling' });
    const before = committer.commits.length;
    fireEvent.click(offer);
    expect(document.querySelector('#settle-confirm')!.textContent).toBe(
      'Commit the same correction, as Wrong answer, for 1 sibling? Each keeps its own model answer and becomes a commit of yours; one Undo takes them all back.',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Correct 1' }));
    await waitFor(() => expect(screen.getByText(/Corrected 1 siblings the same way\./)).toBeTruthy());
    expect(committer.commits.length).toBe(before + 2);
    const settled = lastCorrection(committer);
    expect(settled).toMatchObject({ candidate_id: 'q1-b', action: 'correct', corrected_response: 'Seven times eight is 56.', failure_category: 'wrong_answer' });
    expect(settled.started_from).toEqual({ kind: 'sibling_correction', candidate_id: 'q1-a', sha256: sha256Hex('Seven times eight is 56.') });
    fireEvent.click(screen.getByRole('button', { name: 'Undo all 1' }));
    await waitFor(() => expect(screen.getByText('Undid all 1.')).toBeTruthy());
    expect(committer.commits.at(-1)!.text).toBeNull();
    expect(committer.files.has(committer.commits.at(-1)!.path)).toBe(false);
    expect([...committer.files.values()].filter((t) => t.includes('"q1-a"'))).toHaveLength(1);
  });
});
