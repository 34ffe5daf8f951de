import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, fsck, git, ROOT, useTempRepos } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';
import { normalizeCorrectedText } from '../../src/lib/records/target-text.ts';
import { ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const all = readdirSync(join(ROOT, 'candidates'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) =>
    readFileSync(join(ROOT, 'candidates', f), 'utf8')
      .trimEnd()
      .split('\n'),
  )
  .map((l) => JSON.parse(l) as { id: string; model_id: string; model_response: string; prompt_messages: { role: string; content: string }[] });
const turn2 = all.find((c) => c.prompt_messages.length === 3 && !c.model_response.includes('[/INST]'))!;
const turn1 = all.find((c) => c.model_id === turn2.model_id && c.model_response === turn2.prompt_messages[1]!.content)!;
const leaky = all.find((c) => c.prompt_messages.length === 1 && c.model_response.includes('[/INST]'))!;

const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('plover submit writes clean targets', () => {
  it('applies the text rule to a --response-file, refuses an unchanged answer without --unchanged, and takes --category none', () => {
    const { dir } = repo();
    writeFileSync(join(dir, 'answer.txt'), ' \u00a0\r\n\n    indented\r\nsecond line\rthird  \u00a0\u200b\r\n\r\n');
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response-file', 'answer.txt', '--category', 'none', '--reviewer', ANN]).status).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, correctionPath(turn1.id, 'ann@example.org')), 'utf8'));
    expect(written).toMatchObject({ corrected_response: '    indented\nsecond line\nthird', failure_category: null });

    const head = git(dir, 'rev-parse', 'HEAD');
    writeFileSync(join(dir, 'same.txt'), `${turn2.model_response}\n`);
    const refused = plover(dir, ['submit', turn2.id, '--action', 'correct', '--response-file', 'same.txt', '--reviewer', ANN]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^plover: the corrected response of "sftc_[0-9a-f]+" is the model's response unchanged .*--unchanged/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    const confirmed = plover(dir, ['submit', turn2.id, '--action', 'correct', '--response-file', 'same.txt', '--unchanged', '--category', 'scoring_artifact', '--reviewer', ANN]);
    expect(confirmed.status, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toMatch(/^[0-9a-f]{7} correct \(unchanged\) /);
    expect(JSON.parse(readFileSync(join(dir, correctionPath(turn2.id, 'ann@example.org')), 'utf8')).unchanged).toBe(true);
    expect(plover(dir, ['submit', turn2.id, '--action', 'flag', '--unchanged', '--reviewer', ANN]).status).toBe(1);
    expect(fsck(dir).status).toBe(0);
  });
});

describe('plover export in every format', () => {
  it('writes each format with its manifest and one dataset card for the folder; the turn-1 correction is the turn-2 context', () => {
    const { dir } = repo({ files: { 'plover.config.json': JSON.stringify({ dataset: { license: 'apache-2.0', pretty_name: 'Test labels' } }) } });
    for (const [id, text] of [
      [turn1.id, 'Turn one, corrected.'],
      [turn2.id, 'Turn two, corrected.'],
      [leaky.id, `${leaky.model_response}\nReviewed.`],
    ] as const) {
      expect(plover(dir, ['submit', id, '--action', 'correct', '--response', text, '--reviewer', ANN]).status).toBe(0);
    }
    // A control token in a target is left out by default, and said; --allow-control-tokens keeps it, with a warning.
    const clean = plover(dir, ['export']);
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout).toContain(`left out, a chat-template control token in the target: 1 (${leaky.id} [/INST]`);
    expect(
      readLines(join(dir, 'dist/sft.jsonl'))
        .map((l) => l.candidate_id)
        .sort(),
    ).toEqual([turn1.id, turn2.id].sort());
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8'))).toMatchObject({
      control_tokens: [],
      control_token_targets: [{ candidate_id: leaky.id, tokens: expect.arrayContaining(['[/INST]']) }],
    });
    const full = plover(dir, ['export', '--allow-control-tokens']);
    expect(full.status, full.stderr).toBe(0);
    expect(full.stdout).toContain("earlier turns: 1 replaced by a reviewer's correction, 0 kept as context");
    expect(full.stdout).toContain('warning: 1 line holds chat-template control tokens');
    expect(checkExportRules(readFileSync(join(dir, 'dist/sft.jsonl')))).toEqual([]);
    const line = readLines(join(dir, 'dist/sft.jsonl')).find((l) => l.candidate_id === turn2.id);
    expect(line.messages[1]).toEqual({ role: 'assistant', content: 'Turn one, corrected.', weight: 0 });

    for (const format of ['messages', 'prompt-completion', 'preference', 'openai-preference', 'kto']) {
      const r = plover(dir, ['export', '--format', format, '--out', `dist/${format}.jsonl`]);
      expect(r.status, r.stderr).toBe(0);
    }
    // kto: the leaky correction's line is left out; the model's failed answer stays as a negative (not a target).
    expect(readLines(join(dir, 'dist/kto.jsonl'))).toHaveLength(5);
    expect(readLines(join(dir, 'dist/preference.jsonl')).find((l) => l.chosen[0].content === 'Turn two, corrected.')).toEqual({
      prompt: [
        { role: 'user', content: turn2.prompt_messages[0]!.content },
        { role: 'assistant', content: 'Turn one, corrected.' },
        { role: 'user', content: turn2.prompt_messages[2]!.content },
      ],
      chosen: [{ role: 'assistant', content: 'Turn two, corrected.' }],
      rejected: [{ role: 'assistant', content: turn2.model_response.trimEnd() }],
    });
    // OpenAI's preference format: the same pairs, in its shape, line for line.
    expect(readLines(join(dir, 'dist/openai-preference.jsonl'))).toEqual(
      readLines(join(dir, 'dist/preference.jsonl')).map((l) => ({ input: { messages: l.prompt }, preferred_output: l.chosen, non_preferred_output: l.rejected })),
    );

    const manifest = JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8'));
    expect(manifest.lengths).toMatchObject({ tokenizer: 'o200k_base (gpt-tokenizer)', lines: 3 });
    expect(manifest.lengths.max).toBeGreaterThan(manifest.lengths.p50);
    expect(manifest.control_tokens).toEqual([{ candidate_id: leaky.id, tokens: expect.arrayContaining(['[/INST]']), in_target: true }]);
    expect(manifest.counts).toMatchObject({ earlier_turns: { substituted: 1, kept: 0, ambiguous: 0 }, with_control_tokens: 1, lines: 3 });

    // The card: a YAML header a dataset hub reads, a config per file, the full export the default.
    const card = readFileSync(join(dir, 'dist/README.md'), 'utf8');
    const [, header] = card.split('---\n');
    const meta = parseYaml(header!);
    expect(meta).toMatchObject({ license: 'apache-2.0', task_categories: ['text-generation'], size_categories: ['n<1K'] });
    expect(meta.configs.map((c: { config_name: string; data_files: { path: string }[] }) => [c.config_name, c.data_files[0]!.path])).toEqual([
      ['kto', 'kto.jsonl'],
      ['messages', 'messages.jsonl'],
      ['openai-preference', 'openai-preference.jsonl'],
      ['preference', 'preference.jsonl'],
      ['prompt-completion', 'prompt-completion.jsonl'],
      ['sft', 'sft.jsonl'],
    ]);
    expect(meta.configs.find((c: { default?: boolean }) => c.default).config_name).toBe('sft');
    expect(card).toContain(`Source commit: \`${git(dir, 'rev-parse', 'HEAD')}\``);
    expect(card).toContain('| `preference.jsonl` | preference | 2 |');

    // Token counts are kept in the git directory between exports, keyed by the text: the next export counts the same.
    const cache = join(dir, '.git/plover/token-counts');
    expect(readFileSync(cache, 'utf8')).toMatch(/^([0-9a-f]{16}\t\d+\n)+$/);
    writeFileSync(cache, `${readFileSync(cache, 'utf8')}not a line\n`);
    expect(plover(dir, ['export', '--allow-control-tokens']).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).lengths).toEqual(manifest.lengths);
    expect(git(dir, 'status', '--porcelain')).toBe('?? dist/');
  });

  it('says which lines carry an earlier answer nobody corrected, and leaves them out with --reviewed-context-only', () => {
    const { dir } = repo();
    // Turn 2 corrected, its turn 1 left undecided: the model's turn-1 answer is the context.
    expect(plover(dir, ['submit', turn2.id, '--action', 'correct', '--response', 'Turn two, corrected.', '--reviewer', ANN]).status).toBe(0);
    const kept = plover(dir, ['export']);
    expect(kept.stdout).toContain('context with an earlier answer of the model that nobody corrected: 1 line');
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).unreviewed_context).toEqual([{ candidate_id: turn2.id, turns: 1, left_out: false }]);
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain("- Earlier turns: 0 replaced by a reviewer's correction, 1 the model's own (in 1 line).");
    const only = plover(dir, ['export', '--reviewed-context-only']);
    expect(only.stdout).toContain('left out by --reviewed-context-only: 1');
    expect(readFileSync(join(dir, 'dist/sft.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).unreviewed_context).toEqual([{ candidate_id: turn2.id, turns: 1, left_out: true }]);
    // Turn 1 corrected too: the context is reviewed, and the line is written.
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Turn one, corrected.', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['export', '--reviewed-context-only']).status).toBe(0);
    expect(
      readLines(join(dir, 'dist/sft.jsonl'))
        .map((l) => l.candidate_id)
        .sort(),
    ).toEqual([turn1.id, turn2.id].sort());
  });

  it('refuses control tokens with --fail-on-control-tokens, leaves long lines out with --max-tokens, and refuses a preference export of discards', () => {
    const { dir } = repo();
    expect(plover(dir, ['submit', leaky.id, '--action', 'correct', '--response', `${leaky.model_response}\nReviewed.`, '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Short.', '--reviewer', ANN]).status).toBe(0);
    const refused = plover(dir, ['export', '--fail-on-control-tokens']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${leaky.id}: `);
    expect(refused.stderr).toContain('[/INST]');
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    // Left out by default: still refused, the line named as left out.
    const refusedToo = plover(dir, ['export', '--fail-on-control-tokens', '--out', 'dist/b.jsonl']);
    expect(refusedToo.stderr).toMatch(new RegExp(`${leaky.id}: .*\\[/INST\\].* \\(in the target: left out\\)`));
    expect(existsSync(join(dir, 'dist'))).toBe(false);

    // Every line is over 1 token: both are listed with their lengths, and the file is empty.
    expect(plover(dir, ['export', '--max-tokens', '1', '--allow-control-tokens']).status).toBe(0);
    const lengths = JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).too_long as { candidate_id: string; tokens: number }[];
    expect(lengths.map((l) => l.candidate_id).sort()).toEqual([leaky.id, turn1.id].sort());
    expect(readFileSync(join(dir, 'dist/sft.jsonl'), 'utf8')).toBe('');
    // A limit between the two keeps the shorter line only.
    const [shorter, longer] = [...lengths].sort((a, b) => a.tokens - b.tokens);
    expect(shorter!.tokens).toBeLessThan(longer!.tokens);
    const capped = plover(dir, ['export', '--max-tokens', String(shorter!.tokens), '--allow-control-tokens']);
    expect(capped.status, capped.stderr).toBe(0);
    expect(capped.stdout).toContain(`left out by --max-tokens: 1 (${longer!.candidate_id} ${longer!.tokens};`);
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).too_long).toEqual([longer]);
    expect(readLines(join(dir, 'dist/sft.jsonl')).map((l) => l.candidate_id)).toEqual([shorter!.candidate_id]);

    expect(plover(dir, ['export', '--max-tokens', 'lots']).stderr).toMatch(/--max-tokens "lots" is not a positive whole number/);
    expect(plover(dir, ['export', '--format', 'preference', '--action', 'correct,discard']).stderr).toMatch(/takes only --action correct/);
    expect(plover(dir, ['export', '--format', 'kto', '--action', 'discard']).stderr).toMatch(/takes only --action correct,flag \(this is --action discard\)/);
  });

  it('kto takes flagged answers as negatives by default, and never calls a scoring_artifact answer wrong; preference makes no pair of it', () => {
    const { dir } = repo();
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Also right, shorter.', '--category', 'scoring_artifact', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', leaky.id, '--action', 'flag', '--category', 'hallucination', '--reviewer', ANN]).status).toBe(0);
    const kto = plover(dir, ['export', '--format', 'kto', '--out', 'dist/kto.jsonl']);
    expect(kto.status, kto.stderr).toBe(0);
    expect(kto.stdout).toContain('model answer labelled false (flagged): 1');
    expect(kto.stdout).toContain('model answer labelled true (scoring_artifact): 1');
    const lines = readLines(join(dir, 'dist/kto.jsonl')).map((l) => [l.completion[0].content, l.label]);
    expect(lines).toContainEqual([normalizeCorrectedText(turn1.model_response), true]);
    expect(lines).toContainEqual(['Also right, shorter.', true]);
    expect(lines).toContainEqual([normalizeCorrectedText(leaky.model_response), false]);
    expect(lines).toHaveLength(3);
    const preference = plover(dir, ['export', '--format', 'preference', '--out', 'dist/preference.jsonl']);
    expect(preference.status, preference.stderr).toBe(0);
    expect(readFileSync(join(dir, 'dist/preference.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'dist/preference.manifest.json'), 'utf8')).counts).toMatchObject({ no_pair: 1, lines: 0 });
  });
});

describe('earlier turns in a streamed export', () => {
  it("puts each corrected turn 1 into its turn 2's context whether its file comes before or after turn 2's", () => {
    const pairs = all
      .filter((c) => c.prompt_messages.length === 3)
      .slice(0, 30)
      .map((t2) => [all.find((c) => c.model_id === t2.model_id && c.prompt_messages.length === 1 && c.model_response === t2.prompt_messages[1]!.content)!, t2] as const);
    const files: Record<string, string> = {};
    const write = (id: string, text: string) => {
      files[correctionPath(id, 'ann@example.org')] = serializeCorrection(
        createCorrection({ candidate_id: id, action: 'correct', corrected_response: text }, { name: 'Ann Lee', email: 'ann@example.org' }, new Date('2024-05-01T12:00:00Z')),
      );
    };
    for (const [t1, t2] of pairs) {
      write(t1.id, `Fixed turn 1 of ${t2.id}.`);
      write(t2.id, `Fixed turn 2 ${t2.id}.`);
    }
    // Files stream in path order: both orders are here.
    const before = pairs.filter(([t1, t2]) => correctionPath(t1.id, 'a@b.c') < correctionPath(t2.id, 'a@b.c')).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(pairs.length);
    const { dir } = repo({ files });
    const r = plover(dir, ['export', '--format', 'messages']);
    expect(r.status, r.stderr).toBe(0);
    const lines = readLines(join(dir, 'dist/sft.jsonl'));
    for (const [, t2] of pairs) {
      const line = lines.find((l) => l.messages.at(-1).content === `Fixed turn 2 ${t2.id}.`);
      expect(line.messages[1]).toEqual({ role: 'assistant', content: `Fixed turn 1 of ${t2.id}.`, weight: 0 });
    }
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).counts.earlier_turns).toEqual({ substituted: 30, kept: 0, ambiguous: 0 });
    // From the commit (read through git, not the working tree): the same lines.
    const fromRef = plover(dir, ['export', '--format', 'messages', '--ref', 'HEAD', '--out', 'dist/ref.jsonl']);
    expect(fromRef.status, fromRef.stderr).toBe(0);
    expect(readFileSync(join(dir, 'dist/ref.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'dist/sft.jsonl'), 'utf8'));
  });
});

describe('the dataset card', () => {
  it("never replaces a README.md that plover did not write, as in an export into the repository's own folder", () => {
    const { dir } = repo({ files: { 'README.md': '# Our labels\n' } });
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Fixed.', '--reviewer', ANN]).status).toBe(0);
    const r = plover(dir, ['export', '--out', 'sft.jsonl']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`dataset card not written: ${join(dir, 'README.md')} is not one plover wrote`);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# Our labels\n');
    expect(readLines(join(dir, 'sft.jsonl'))).toHaveLength(1);
  });
});

describe('plover validate on training targets', () => {
  it('warns about a committed file that breaks the text rule or holds control tokens, and fails on warnings with --strict', () => {
    const { dir } = repo();
    const path = correctionPath(leaky.id, 'ann@example.org');
    const record = {
      schema_version: 1,
      candidate_id: leaky.id,
      action: 'correct',
      corrected_response: '\nFixed.[/INST]\u200b',
      failure_category: null,
      reviewer: { name: 'Ann Lee', email: 'ann@example.org' },
      decided_at: '2024-05-01T12:00:00.000Z',
    };
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), `${JSON.stringify(record, null, 2)}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'written before the text rule');
    const r = plover(dir, ['validate']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `${path}: corrected_response: starts with blank lines and ends with whitespace or invisible characters (no-break or zero-width spaces), which the text rule removes`,
    );
    expect(r.stdout).toContain(`${path}: corrected_response: holds chat-template control tokens ([/INST])`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('valid, 2 warnings: 640 candidates, 1 correction (0 unchanged)');
    expect(plover(dir, ['validate', '--strict']).status).toBe(1);
    expect(JSON.parse(plover(dir, ['validate', '--json']).stdout)).toMatchObject({ valid: true, unchanged: 0, warnings: [{ file: path }, { file: path }] });
    // The export applies the rule to it; the file itself is never rewritten.
    expect(plover(dir, ['export', '--allow-control-tokens']).status).toBe(0);
    expect(readLines(join(dir, 'dist/sft.jsonl'))[0].messages.at(-1).content).toBe('Fixed.[/INST]');
    expect(git(dir, 'status', '--porcelain', '--', 'corrections')).toBe('');
  });
});

describe('the dataset card of a folder of exports made with different options', () => {
  it('describes each file by its own options and counts, and makes a training file the default, never an analysis export', () => {
    const { dir } = repo();
    expect(plover(dir, ['submit', leaky.id, '--action', 'correct', '--response', `${leaky.model_response}\nReviewed.`, '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Turn one, corrected.', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', turn2.id, '--action', 'discard', '--reviewer', ANN]).status).toBe(0);
    // "all.jsonl" sorts first: an analysis export of every action, control tokens kept.
    expect(plover(dir, ['export', '--out', 'dist/all.jsonl', '--action', 'correct,discard,flag', '--allow-control-tokens']).status).toBe(0);
    expect(plover(dir, ['export', '--out', 'dist/train.jsonl']).status).toBe(0);
    const card = readFileSync(join(dir, 'dist/README.md'), 'utf8');
    const meta = parseYaml(card.split('---\n')[1]!);
    expect(meta.configs.find((c: { default?: boolean }) => c.default).config_name).toBe('train');
    const section = (file: string) => card.slice(card.indexOf(`### \`${file}\``)).split('\n### ')[0]!;
    expect(section('all.jsonl')).toContain('full, 3 lines; decisions resolved by `majority`, actions correct, discard, flag. An analysis export');
    expect(section('all.jsonl')).toContain('0 with a control token in the target (kept: --allow-control-tokens)');
    expect(section('train.jsonl')).toContain('full, 1 line; decisions resolved by `majority`, actions correct.');
    expect(section('train.jsonl')).toContain('1 with a control token in the target, 0 duplicates');
    expect(section('train.jsonl')).not.toContain('analysis');

    // Only analysis exports in the folder: none is the default.
    rmSync(join(dir, 'dist/train.jsonl'));
    rmSync(join(dir, 'dist/train.manifest.json'));
    expect(plover(dir, ['export', '--out', 'dist/all.jsonl', '--action', 'correct,discard,flag', '--allow-control-tokens']).status).toBe(0);
    const only = parseYaml(readFileSync(join(dir, 'dist/README.md'), 'utf8').split('---\n')[1]!);
    expect(only.configs.some((c: { default?: boolean }) => c.default)).toBe(false);
  });
});

describe('the dataset card with --ref', () => {
  it("takes the dataset's name and license from the plover.config.json of the commit exported, not from the working tree", () => {
    const { dir } = repo({ files: { 'plover.config.json': JSON.stringify({ dataset: { license: 'mit', pretty_name: 'At the commit' } }) } });
    expect(plover(dir, ['submit', turn1.id, '--action', 'correct', '--response', 'Turn one, corrected.', '--reviewer', ANN]).status).toBe(0);
    writeFileSync(join(dir, 'plover.config.json'), JSON.stringify({ dataset: { license: 'apache-2.0', pretty_name: 'In the working tree' } }));
    expect(plover(dir, ['export', '--ref', 'HEAD']).status).toBe(0);
    const meta = parseYaml(readFileSync(join(dir, 'dist/README.md'), 'utf8').split('---\n')[1]!);
    expect(meta).toMatchObject({ license: 'mit', pretty_name: 'At the commit' });
  });
});

describe('plover export --chat-template', () => {
  const gemma = join(ROOT, 'tests/fixtures/chat-templates/google-gemma-2-2b-it.jinja');
  const withSystem = (id: string, content: string) =>
    candidateLine({
      id,
      prompt_messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content },
      ],
      model_response: `Failed answer to ${content}`,
    });

  it("renders every line through the model's template: keep lists what goes wrong, auto merges the system prompt where the template needs, --fail-on-template refuses", () => {
    const { dir } = repo({ candidates: false, files: { 'candidates/run_test.jsonl': `${withSystem('s1', 'Q one')}\n${withSystem('s2', 'Q two')}\n` } });
    for (const id of ['s1', 's2']) expect(plover(dir, ['submit', id, '--action', 'correct', '--response', `Reviewed ${id}.`, '--reviewer', ANN]).status).toBe(0);

    // No template: the summary says what a template check or --system merge would do.
    expect(plover(dir, ['export']).stdout).toContain('2 lines keep a system prompt, which some chat templates refuse (Gemma-2)');

    const kept = plover(dir, ['export', '--format', 'prompt-completion', '--chat-template', gemma, '--system', 'keep']);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('2 lines do not render as meant');
    expect(kept.stdout).toMatch(/line 1 \(s[12]\): the template refuses it: System role not supported/);
    const manifest = JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8'));
    expect(manifest.chat_template).toEqual({ source: gemma, system: 'keep', system_auto: false, lines_with_problems: 2 });
    expect(manifest.template_problems).toHaveLength(2);

    const refused = plover(dir, ['export', '--chat-template', gemma, '--system', 'keep', '--fail-on-template', '--out', 'dist/strict.jsonl']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('2 lines do not render as meant through the chat template');
    expect(existsSync(join(dir, 'dist/strict.jsonl'))).toBe(false);

    // From its tokenizer_config.json, with the default --system auto: merged into the first user turn, every line as meant.
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: readFileSync(gemma, 'utf8'), bos_token: '<bos>' }));
    const auto = plover(dir, ['export', '--chat-template', 'tokenizer_config.json', '--fail-on-template']);
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stdout).toContain('chat template tokenizer_config.json: system prompts merged into the first user message (--system auto); every line renders as meant');
    expect(readLines(join(dir, 'dist/sft.jsonl'))[0].messages[0]).toEqual({ role: 'user', content: expect.stringMatching(/^Be brief\.\n\nQ (one|two)$/) });
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8'))).toMatchObject({
      options: { system: 'merge' },
      chat_template: { system: 'merge', system_auto: true, lines_with_problems: 0 },
      template_problems: [],
    });

    expect(plover(dir, ['export', '--system', 'auto']).stderr).toMatch(/--system auto chooses from the chat template: give --chat-template FILE/);
    expect(plover(dir, ['export', '--chat-template', 'missing.jinja']).stderr).toMatch(/cannot read --chat-template .*missing\.jinja/);
  });
});
