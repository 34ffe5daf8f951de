// plover summary: a labels pull request as decisions, on a real branch of real git.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullRequestSummary } from '../../src/node/pull-request-summary.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, git, useTempRepos } from '../helpers/repo.ts';
import { ANN } from '../helpers/reviewers.ts';

const BOB = 'Bob Ray <bob@example.org>';
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)> **bold** [link](http://x) | cell | `code` # heading';

describe('plover summary', () => {
  const repo = useTempRepos();
  const candidates = [
    candidateLine({ id: 'c1', model_response: 'The capital of France is Lyon.', model_id: 'org/model-<b>a</b>', quality_score: 0.2 }),
    candidateLine({ id: 'c2', model_response: `Hostile: ${HOSTILE}` }),
    candidateLine({ id: 'c3', model_response: 'A fine answer.' }),
    candidateLine({ id: 'c4', model_response: 'Rambling.' }),
  ].join('\n');

  function branch() {
    const { dir } = repo({ candidates: false, files: { 'candidates/run_test.jsonl': `${candidates}\n` } });
    expect(plover(dir, ['submit', 'c3', '--action', 'flag', '--reviewer', BOB]).status).toBe(0);
    git(dir, 'branch', 'base');
    git(dir, 'switch', '-q', '-c', 'labels');
    const submit = (args: string[]) => expect(plover(dir, ['submit', ...args]).status).toBe(0);
    submit(['c1', '--action', 'correct', '--response', 'The capital of France is Paris.', '--category', 'wrong_answer', '--reviewer', ANN]);
    submit(['c2', '--action', 'correct', '--response', `Fixed: ${HOSTILE}`, '--category', 'format_error', '--reviewer', ANN]);
    submit(['c3', '--action', 'discard', '--reviewer', ANN]); // Bob flagged it on the base branch: a conflict now
    submit(['c4', '--action', 'flag', '--category', 'hallucination', '--reviewer', BOB]);
    expect(plover(dir, ['undo', 'c3', '--reviewer', BOB]).status).toBe(0); // taken back in this change
    submit(['c3', '--action', 'flag', '--reviewer', BOB]);
    return dir;
  }

  it('counts per reviewer, lists conflicts, shows each correction as a word diff, and renders nothing from outside as markup', async () => {
    const dir = branch();
    const r = plover(dir, ['summary', '--base', 'base']);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout;
    expect(text.startsWith('## plover: decisions in this change')).toBe(true);
    expect(text).toContain('| reviewer | correct | discard | flag | format_error | hallucination | none | wrong_answer |');
    expect(text).toContain('| ann&#64;example.org | 2 | 1 | 0 | 1 | 0 | 1 | 1 |');
    expect(text).toContain('| bob&#64;example.org | 0 | 0 | 2 | 0 | 1 | 1 | 0 |');
    expect(text).toMatch(
      /### 1 candidate in conflict .*\n\n- c3: (discard by ann&#64;example.org; flag by bob&#64;example.org|flag by bob&#64;example.org; discard by ann&#64;example.org)/,
    );
    // The correction of c1 as a word diff against the model's response.
    expect(text).toContain('<pre>The capital of France is <del>Lyon</del><ins>Paris</ins>.</pre>');
    expect(text).toContain('org/model&#45;&#60;b&#62;a&#60;/b&#62;, score 0.2');
    // Nothing from outside is markup: the only tags are the report's own.
    const tags = new Set([...text.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['code', 'del', 'details', 'ins', 'p', 'pre', 'summary']);
    expect(text).not.toMatch(/\*\*bold\*\*|\[link\]\(|`code`|\| cell \|/);
    expect(text).toContain('&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;');
    expect((text.match(/<details>/g) ?? []).length).toBe(5);
  });

  it('stays within its byte budget and says how many decisions it left out; needs a base that exists', async () => {
    const dir = branch();
    writeFileSync(join(dir, 'big.txt'), `${'A long corrected answer. '.repeat(4000)}`);
    expect(plover(dir, ['submit', 'c4', '--action', 'correct', '--response-file', 'big.txt', '--reviewer', ANN]).status).toBe(0);
    const whole = await pullRequestSummary(dir, 'base');
    expect(Buffer.byteLength(whole)).toBeGreaterThan(100_000);
    const capped = await pullRequestSummary(dir, 'base', 'HEAD', 20_000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(20_000);
    expect(capped).toMatch(/(\d+) more decisions? left out of this summary to stay within 20 KiB/);
    expect(plover(dir, ['summary']).stderr).toMatch(/summary needs --base REF/);
    expect(plover(dir, ['summary', '--base', 'nowhere']).stderr).toMatch(/--base "nowhere" does not name a commit/);
  });

  it('puts validate problems first', async () => {
    const dir = branch();
    writeFileSync(join(dir, 'corrections/zz.json'), '{}');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'a stray file');
    const text = await pullRequestSummary(dir, 'base');
    expect(text).toMatch(/### 1 problem \(plover validate fails\)\n\n- corrections\/zz\.json/);
  });
});
