// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@solidjs/testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { CandidateCard, scoreBand } from '../../src/components/CandidateCard.tsx';
import type { Candidate } from '../../src/lib/records/schema-types.generated.ts';
import { candidateLine } from '../helpers/repo.ts';

afterEach(cleanup);
const candidate = (overrides: Record<string, unknown> = {}) => JSON.parse(candidateLine(overrides)) as Candidate;

describe('CandidateCard', () => {
  it('shows model, task type, run, score, failure reason, role-labelled prompt and response', () => {
    render(() => (
      <CandidateCard
        candidate={candidate({
          prompt_messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'What is 2 + 2?' },
          ],
        })}
      />
    ));
    const card = screen.getByRole('article', { name: 'Candidate' });
    expect(within(card).getByText('Model A')).toBeTruthy();
    expect(within(card).getByText('math')).toBeTruthy();
    expect(within(card).getByText('run_test')).toBeTruthy();
    expect(within(card).getByText('wrong result')).toBeTruthy();
    const prompt = screen.getByRole('region', { name: 'Prompt' });
    expect([...prompt.querySelectorAll('details')].map((d) => [d.querySelector('.role')!.textContent, d.querySelector('.text')!.textContent!.trim()])).toEqual([
      ['system', 'Be brief.'],
      ['user', 'What is 2 + 2?'],
    ]);
    expect(screen.getByRole('region', { name: 'Model response' }).querySelector('.text')!.textContent!.trim()).toBe('5');
  });

  it.each([
    [0.1, 'low', '0.10'],
    [0.4, 'fair', '0.40'],
    [0.7, 'acceptable', '0.70'],
    [null, 'none', 'no score'],
  ])('colours a score of %s as %s', (score, band, shown) => {
    expect(scoreBand(score)).toBe(band);
    const { container } = render(() => <CandidateCard candidate={candidate({ quality_score: score })} />);
    const badge = container.querySelector('.score')!;
    expect(badge.getAttribute('data-band')).toBe(band);
    expect(badge.classList.contains(`score-${band}`)).toBe(true);
    expect(badge.textContent!.startsWith(shown)).toBe(true);
  });

  it.each([false, true])('shows markup from prompts, responses, names and reasons as text, creating no elements (raw: %s)', (raw) => {
    const payload = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"><b>bold</b>';
    const { container } = render(() => (
      <CandidateCard
        raw={raw}
        candidate={candidate({
          model_name: payload,
          failure_reason: payload,
          model_response: payload,
          prompt_messages: [{ role: 'user', content: payload }],
        })}
      />
    ));
    expect(container.querySelectorAll('script, img, b, iframe')).toHaveLength(0);
    expect(screen.getByRole('region', { name: 'Model response' }).querySelector('.text')!.textContent!.trim()).toBe(payload);
    expect(screen.getAllByText(payload).length).toBeGreaterThanOrEqual(2);
  });

  it('renders Markdown (code blocks, lists) and makes links safe, images inert', () => {
    const { container } = render(() => (
      <CandidateCard
        candidate={candidate({
          model_response: '# Title\n\n- one\n- two\n\n```js\nlet x = 1;\n```\n\n[site](https://example.org) ![pixel](https://tracker.example/p.gif) [bad](javascript:alert(1))',
        })}
      />
    ));
    const response = screen.getByRole('region', { name: 'Model response' });
    expect(response.querySelector('h1')!.textContent).toBe('Title');
    expect([...response.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(response.querySelector('pre code')!.textContent).toBe('let x = 1;\n');
    const links = [...response.querySelectorAll('a')];
    expect(links[0]!.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(container.querySelectorAll('img')).toHaveLength(0);
    expect(links.some((a) => (a.getAttribute('href') ?? '').startsWith('javascript:'))).toBe(false);
  });

  it('marks an empty message and leaves out a missing failure reason', () => {
    render(() => <CandidateCard candidate={candidate({ failure_reason: null })} />);
    expect(screen.getByText('(empty)', { exact: false })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Why the check failed' })).toBeNull();
  });
});
