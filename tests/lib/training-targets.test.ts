import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile, type LocatedCandidate } from '../../src/lib/records/candidates.ts';
import { CONTROL_TOKENS, controlTokensIn } from '../../src/lib/export/control-tokens.ts';
import { createCorrection, type Decision } from '../../src/lib/records/correction.ts';
import { normalizeCorrectedText } from '../../src/lib/records/target-text.ts';
import { indexEarlierTurns } from '../../src/lib/export/earlier-turns.ts';
import { PloverError } from '../../src/lib/errors.ts';
import { DEFAULT_EXPORT_OPTIONS, serializeExportLine, type ExportOptions } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import type { Candidate, ExportLine, KTOLine, PreferenceLine, PromptCompletionLine } from '../../src/lib/records/schema-types.generated.ts';
import { checkTargets } from '../../src/lib/export/target-checks.ts';
import { countTextTokens } from '../../src/node/token-count.ts';
import { candidateLine, ROOT } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const at = new Date('2024-05-01T12:00:00Z');

/** The four real MT-Bench runs of candidates/. */
const located: LocatedCandidate[] = readdirSync(join(ROOT, 'candidates'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) => parseCandidateFile(readFileSync(join(ROOT, 'candidates', f), 'utf8'), `candidates/${f}`).candidates);
const { byId: candidates } = indexCandidates(located);
const all = located.map((l) => l.candidate);
const turnTwo = all.filter((c) => c.prompt_messages.some((m) => m.role === 'assistant'));

/** The real turn-1 candidate whose response is the assistant message of `c`'s prompt. */
function turnOneOf(c: Candidate): Candidate {
  const answer = c.prompt_messages[1]!.content;
  return all.find((x) => x.model_id === c.model_id && x.model_response === answer && x.prompt_messages.length === 1)!;
}

function decided(decision: Decision, candidate?: Candidate): LocatedCorrection {
  const correction = createCorrection(decision, ann, at, candidate ? { modelResponse: candidate.model_response } : {});
  return { correction, file: correctionPath(decision.candidate_id, ann.email) };
}

const exportWith = (corrections: LocatedCorrection[], options: Partial<ExportOptions> = {}) =>
  compileExport(candidates, corrections, { ...DEFAULT_EXPORT_OPTIONS, ...options }, countTextTokens);

describe('earlier turns of the real MT-Bench runs', () => {
  it('finds the turn-1 candidate of every turn-2 candidate by content: same model, same earlier messages, same answer', () => {
    const { turns, sources } = indexEarlierTurns(candidates);
    expect(turnTwo).toHaveLength(320);
    expect(turns.size).toBe(320);
    for (const c of turnTwo) expect(turns.get(c.id)).toEqual(new Map([[1, [turnOneOf(c).id]]]));
    expect(sources.size).toBe(320);
  });

  it('prefers a match in the same run, and finds one in another run when its own has none', () => {
    const user = { role: 'user', content: 'Name a colour.' };
    const line = (id: string, run: string, extra: Record<string, unknown>) => candidateLine({ id, benchmark_run_id: run, ...extra });
    const text = [
      line('t1-a', 'run_a', { prompt_messages: [user], model_response: 'Blue.' }),
      line('t1-b', 'run_b', { prompt_messages: [user], model_response: 'Blue.' }),
      line('t1-other-model', 'run_a', { prompt_messages: [user], model_response: 'Blue.', model_id: 'org/model-b' }),
      line('t2-a', 'run_a', { prompt_messages: [user, { role: 'assistant', content: 'Blue.' }, { role: 'user', content: 'Another?' }] }),
      line('t2-c', 'run_c', { prompt_messages: [user, { role: 'assistant', content: 'Blue.' }, { role: 'user', content: 'Another?' }] }),
    ].join('\n');
    const { byId } = indexCandidates(parseCandidateFile(`${text}\n`, 'candidates/runs.jsonl').candidates);
    const { turns } = indexEarlierTurns(byId);
    expect(turns.get('t2-a')).toEqual(new Map([[1, ['t1-a']]]));
    expect(turns.get('t2-c')).toEqual(new Map([[1, ['t1-a', 't1-b']]]));
  });

  it("puts the reviewer's correction of turn 1 into turn 2's context, with weight 0, and only the turn-2 correction is a target", () => {
    const t2 = turnTwo[0]!;
    const t1 = turnOneOf(t2);
    const corrections = [
      decided({ candidate_id: t1.id, action: 'correct', corrected_response: 'Turn one, corrected.' }),
      decided({ candidate_id: t2.id, action: 'correct', corrected_response: 'Turn two, corrected.' }),
    ];
    const out = exportWith(corrections);
    expect(out.problems).toEqual([]);
    const line = out.lines.find((l) => (l as ExportLine).candidate_id === t2.id) as ExportLine;
    expect(line.messages).toEqual([
      { role: 'user', content: t2.prompt_messages[0]!.content },
      { role: 'assistant', content: 'Turn one, corrected.', weight: 0 },
      { role: 'user', content: t2.prompt_messages[2]!.content },
      { role: 'assistant', content: 'Turn two, corrected.' },
    ]);
    expect(out.counts.earlier_turns).toEqual({ substituted: 1, kept: 0, ambiguous: 0 });

    // Turned off: the model's own turn-1 answer stays, as context only.
    const kept = exportWith(corrections, { substituteEarlierTurns: false });
    const keptLine = kept.lines.find((l) => (l as ExportLine).candidate_id === t2.id) as ExportLine;
    expect(keptLine.messages[1]).toEqual({ role: 'assistant', content: t1.model_response, weight: 0 });
    expect(kept.counts.earlier_turns).toEqual({ substituted: 0, kept: 1, ambiguous: 0 });

    // prompt-completion: the corrected turn 1 is in the prompt, without weight; the completion is the target alone.
    const pc = exportWith(corrections, { format: 'prompt-completion' }).lines as PromptCompletionLine[];
    const pcLine = pc.find((l) => l.completion[0]!.content === 'Turn two, corrected.')!;
    expect(pcLine.prompt).toEqual([
      { role: 'user', content: t2.prompt_messages[0]!.content },
      { role: 'assistant', content: 'Turn one, corrected.' },
      { role: 'user', content: t2.prompt_messages[2]!.content },
    ]);
  });

  it("keeps the model's turn-1 answer with weight 0 when turn 1 was discarded or not decided", () => {
    const t2 = turnTwo[5]!;
    const t1 = turnOneOf(t2);
    for (const corrections of [
      [decided({ candidate_id: t2.id, action: 'correct', corrected_response: 'Better.' })],
      [decided({ candidate_id: t1.id, action: 'discard' }), decided({ candidate_id: t2.id, action: 'correct', corrected_response: 'Better.' })],
    ]) {
      const out = exportWith(corrections, { format: 'messages' });
      const line = out.lines.find((l) => (l as ExportLine).messages.at(-1)!.content === 'Better.') as ExportLine;
      expect(line.messages[1]).toEqual({ role: 'assistant', content: t1.model_response, weight: 0 });
      expect(out.counts.earlier_turns).toEqual({ substituted: 0, kept: 1, ambiguous: 0 });
    }
  });

  it('lists the lines whose context holds a turn-1 answer nobody corrected, and --reviewed-context-only leaves them out in every format', () => {
    const [a, b] = [turnTwo[5]!, turnTwo[6]!];
    // a's turn 1 is flagged (the model's answer stays in a's context); b's is corrected.
    const corrections = [
      decided({ candidate_id: turnOneOf(a).id, action: 'flag' }),
      decided({ candidate_id: a.id, action: 'correct', corrected_response: 'Better.' }),
      decided({ candidate_id: turnOneOf(b).id, action: 'correct', corrected_response: 'Turn one, reviewed.' }),
      decided({ candidate_id: b.id, action: 'correct', corrected_response: 'Also better.' }),
    ];
    const out = exportWith(corrections);
    expect(out.unreviewedContext).toEqual([{ candidate_id: a.id, turns: 1, left_out: false }]);
    expect(out.counts).toMatchObject({ unreviewed_context: 1, unreviewed_context_left_out: 0 });
    for (const format of ['full', 'messages', 'prompt-completion', 'preference', 'kto'] as const) {
      const only = exportWith(corrections, { format, reviewedContextOnly: true });
      expect(only.unreviewedContext).toEqual([{ candidate_id: a.id, turns: 1, left_out: true }]);
      expect(only.counts).toMatchObject({ unreviewed_context: 0, unreviewed_context_left_out: 1 });
      // What is left has no model answer in its context: only reviewed turns.
      for (const line of only.lines) expect(JSON.stringify(line)).not.toContain(JSON.stringify(turnOneOf(a).model_response.trimEnd()).slice(1, 40));
    }
    expect(
      exportWith(corrections, { reviewedContextOnly: true })
        .lines.map((l) => (l as ExportLine).candidate_id)
        .sort(),
    ).toEqual([turnOneOf(b).id, b.id].sort());
  });

  it('no exported line of any format trains on a failed answer when every candidate is corrected', () => {
    const corrections = all.map((c, i) => decided({ candidate_id: c.id, action: 'correct', corrected_response: `Reviewed answer ${i}.` }));
    const failed = new Set(all.map((c) => normalizeCorrectedText(c.model_response)));
    for (const format of ['full', 'messages', 'prompt-completion', 'preference', 'openai-preference', 'kto'] as const) {
      const out = exportWith(corrections, { format });
      expect(out.problems).toEqual([]);
      expect(out.counts.earlier_turns).toEqual({ substituted: 320, kept: 0, ambiguous: 0 });
      for (const line of out.lines) {
        // Every assistant message that is trained on is a reviewer's text; a failed answer appears only as `rejected` or a false kto label.
        const trained =
          'messages' in line
            ? line.messages.filter((m) => m.role === 'assistant' && m.weight !== 0)
            : 'chosen' in line
              ? [...line.prompt, ...line.chosen]
              : 'preferred_output' in line
                ? [...line.input.messages, ...line.preferred_output]
                : 'label' in line && !line.label
                  ? line.prompt
                  : [...line.prompt, ...line.completion];
        for (const m of trained) expect(failed.has(m.content)).toBe(false);
        const context = 'messages' in line ? line.messages.slice(0, -1) : 'input' in line ? line.input.messages : line.prompt;
        for (const m of context.filter((x) => x.role === 'assistant')) expect(m.content).toMatch(/^Reviewed answer \d+\.$/);
      }
    }
  });
});

describe('the text rule', () => {
  it('turns CRLF into LF and removes whitespace at the end; leading indentation and inner whitespace stay byte for byte', () => {
    expect(normalizeCorrectedText('  def f():\r\n      return 1  \r\n\r\n \t')).toBe('  def f():\n      return 1');
    expect(normalizeCorrectedText('a\n\n\nb')).toBe('a\n\n\nb');
    const c = createCorrection({ candidate_id: 'x', action: 'correct', corrected_response: '    indented\r\nline\n' }, ann, at);
    expect(c.corrected_response).toBe('    indented\nline');
  });

  it('applies to committed files that break it, which validate names and the export counts', () => {
    const t = all[0]!;
    // As a file written before the rule: the record holds the trailing newline of a --response-file.
    const correction = { ...createCorrection({ candidate_id: t.id, action: 'correct', corrected_response: 'Fixed.' }, ann, at), corrected_response: 'Fixed.\r\nSecond line.\n' };
    const corrections = [{ correction, file: correctionPath(t.id, ann.email) }];
    const out = exportWith(corrections);
    expect((out.lines[0] as ExportLine).messages.at(-1)!.content).toBe('Fixed.\nSecond line.');
    expect(out.counts.normalized).toBe(1);
    expect(checkTargets(candidates, corrections).warnings).toEqual([
      {
        file: correctionPath(t.id, ann.email),
        path: 'corrected_response',
        message: expect.stringMatching(
          /^has CR line ends \(CRLF or a bare CR\) and ends with whitespace or invisible characters \(no-break or zero-width spaces\), which the text rule removes/,
        ),
      },
    ]);
  });

  it('is obeyed by every target, rejected answer and context message of every format on the real runs', () => {
    const corrections = all.map((c) => decided({ candidate_id: c.id, action: 'correct', corrected_response: `\n \u00a0\n${c.model_response}\r\nReviewed.\rTwice.\u200b\n\n` }));
    for (const format of ['full', 'prompt-completion', 'preference', 'kto'] as const) {
      for (const line of exportWith(corrections, { format }).lines) {
        const texts = Object.values(line)
          .filter(Array.isArray)
          .flat()
          .map((m: { content: string }) => m.content);
        for (const text of texts) expect(text).toBe(normalizeCorrectedText(text));
      }
    }
  });
});

describe('a correction that is the model response unchanged', () => {
  const t = all.filter((c) => controlTokensIn(c.model_response).length === 0)[3]!;

  it('is refused unless the decision says the model was right, and then the record says so', () => {
    const same = { candidate_id: t.id, action: 'correct' as const, corrected_response: `${t.model_response}\n` };
    expect(() => createCorrection(same, ann, at, { modelResponse: t.model_response })).toThrow(expect.objectContaining({ code: 'E_UNCHANGED' }));
    try {
      createCorrection(same, ann, at, { modelResponse: t.model_response });
    } catch (err) {
      expect(err).toBeInstanceOf(PloverError);
      expect((err as Error).message).toContain('--unchanged');
    }
    expect(createCorrection({ ...same, unchanged: true }, ann, at, { modelResponse: t.model_response }).unchanged).toBe(true);
    expect(createCorrection({ ...same, corrected_response: 'Different.', unchanged: true }, ann, at, { modelResponse: t.model_response }).unchanged).toBeUndefined();
  });

  it('is counted, left out by excludeUnchanged, gives no preference pair and one kto line labelled true', () => {
    const corrections = [decided({ candidate_id: t.id, action: 'correct', corrected_response: t.model_response, failure_category: 'scoring_artifact', unchanged: true }, t)];
    expect(exportWith(corrections).counts).toMatchObject({ unchanged: 1, lines: 1 });
    expect(exportWith(corrections, { excludeUnchanged: true }).counts).toMatchObject({ unchanged: 0, excluded_unchanged: 1, lines: 0 });
    expect(exportWith(corrections, { format: 'preference' }).counts).toMatchObject({ no_pair: 1, lines: 0 });
    const kto = exportWith(corrections, { format: 'kto' }).lines as KTOLine[];
    expect(kto.map((l) => l.label)).toEqual([true]);
    // A record written before plover asked is named by validate.
    const old = { ...corrections[0]!, correction: { ...corrections[0]!.correction } };
    delete old.correction.unchanged;
    expect(checkTargets(candidates, [old])).toMatchObject({
      unchanged: 1,
      warnings: [{ path: 'corrected_response', message: expect.stringMatching(/is the model's response unchanged/) }],
    });
  });
});

describe('preference formats', () => {
  it('pair the correction (chosen, label true) with the failed answer (rejected, label false)', () => {
    const t = all[7]!;
    const corrections = [decided({ candidate_id: t.id, action: 'correct', corrected_response: 'The right answer.' })];
    const [pref] = exportWith(corrections, { format: 'preference' }).lines as PreferenceLine[];
    expect(pref).toEqual({
      prompt: t.prompt_messages.map((m) => ({ role: m.role, content: m.content })),
      chosen: [{ role: 'assistant', content: 'The right answer.' }],
      rejected: [{ role: 'assistant', content: normalizeCorrectedText(t.model_response) }],
    });
    const kto = exportWith(corrections, { format: 'kto' }).lines as KTOLine[];
    expect(kto.map((l) => [l.completion[0]!.content, l.label])).toEqual([
      ['The right answer.', true],
      [normalizeCorrectedText(t.model_response), false],
    ]);
  });
});

describe('control tokens', () => {
  it('are one list covering the common families', () => {
    for (const t of [
      '[/INST]',
      '[INST]',
      '</s>',
      '<s>',
      '<|im_end|>',
      '<|im_start|>',
      '<|eot_id|>',
      '<|start_header_id|>',
      '<end_of_turn>',
      '<start_of_turn>',
      '<|end|>',
      '<|assistant|>',
      '<|endoftext|>',
    ]) {
      expect(CONTROL_TOKENS).toContain(t);
    }
    expect(controlTokensIn('a [/INST] b </s> c [/INST]')).toEqual(['</s>', '[/INST]']);
    expect(controlTokensIn('a [link](x) <b>bold</b>')).toEqual([]);
  });

  it('in a real leaked answer are found in the model response, listed for the exported line, and named by validate in a correction', () => {
    const leaky = all.filter((c) => c.model_response.includes('[/INST]'));
    expect(leaky.length).toBeGreaterThan(40);
    const t = leaky.find((c) => c.prompt_messages.length === 1)!;
    const corrections = [decided({ candidate_id: t.id, action: 'correct', corrected_response: `${t.model_response}\nReviewed.` })];
    // Left out by default, and listed: a tokenizer would make a real turn marker of it in the target.
    const out = exportWith(corrections);
    expect(out.lines).toEqual([]);
    expect(out.controlTokenTargets).toEqual([{ candidate_id: t.id, tokens: expect.arrayContaining(['[/INST]']) }]);
    expect(out.counts).toMatchObject({ control_token_targets: 1, with_control_tokens: 0, lines: 0 });
    const allowed = exportWith(corrections, { allowControlTokens: true });
    expect(allowed.controlTokenLines).toEqual([{ candidate_id: t.id, tokens: expect.arrayContaining(['[/INST]']), in_target: true }]);
    expect(allowed.counts).toMatchObject({ control_token_targets: 0, with_control_tokens: 1, lines: 1 });
    expect(checkTargets(candidates, corrections).warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^holds chat-template control tokens \(.*\[\/INST\]/)]);
    // Cleaned by the reviewer: nothing in the target; the failed answer still shows as `rejected` in a preference line.
    const clean = [decided({ candidate_id: t.id, action: 'correct', corrected_response: 'A clean answer.' })];
    expect(exportWith(clean).controlTokenLines).toEqual([]);
    expect(exportWith(clean, { format: 'preference' }).controlTokenLines).toEqual([{ candidate_id: t.id, tokens: expect.arrayContaining(['[/INST]']), in_target: false }]);
  });

  it('leave out only the lines whose target holds one: in kto a flagged answer stays a negative, and a scoring_artifact answer labelled true goes while its correction stays', () => {
    const t = all.find((c) => c.model_response.includes('[/INST]') && c.prompt_messages.length === 1)!;
    const flagged = exportWith([decided({ candidate_id: t.id, action: 'flag' })], { format: 'kto', actions: ['correct', 'flag'] });
    expect(flagged.lines).toEqual([expect.objectContaining({ label: false })]);
    expect(flagged.controlTokenLines).toEqual([{ candidate_id: t.id, tokens: expect.arrayContaining(['[/INST]']), in_target: false }]);
    const artifact = exportWith([decided({ candidate_id: t.id, action: 'correct', corrected_response: 'A clean answer.', failure_category: 'scoring_artifact' })], {
      format: 'kto',
    });
    expect(artifact.lines).toEqual([expect.objectContaining({ completion: [{ role: 'assistant', content: 'A clean answer.' }], label: true })]);
    expect(artifact.controlTokenTargets).toEqual([{ candidate_id: t.id, tokens: expect.arrayContaining(['[/INST]']) }]);
    expect(artifact.counts).toMatchObject({ control_token_targets: 1, lines: 1 });
  });
});

describe('lengths', () => {
  it('are counted per line, summarised, and --max-tokens leaves the longer lines out and lists them', () => {
    const corrections = all.map((c) => decided({ candidate_id: c.id, action: 'correct', corrected_response: `${c.model_response}\nReviewed.` }));
    const out = exportWith(corrections, { allowControlTokens: true });
    expect(out.lengths.lines).toBe(640);
    expect(out.lengths.p50).toBeGreaterThan(100);
    expect(out.lengths.p95).toBeGreaterThanOrEqual(out.lengths.p50);
    expect(out.lengths.max).toBeGreaterThanOrEqual(out.lengths.p95);
    const limit = out.lengths.p95;
    const capped = exportWith(corrections, { maxTokens: limit, allowControlTokens: true });
    const over = out.lengths.lines - capped.counts.lines;
    expect(over).toBeGreaterThan(0);
    expect(capped.counts.too_long).toBe(over);
    expect(capped.tooLong).toHaveLength(over);
    for (const t of capped.tooLong) expect(t.tokens).toBeGreaterThan(limit);
    expect(capped.lengths.max).toBeLessThanOrEqual(limit);
  });

  it('counts tokens close to the whole-text count for long texts, and fast for a 65k-character line without spaces', () => {
    const text = all
      .map((c) => c.model_response)
      .join('\n')
      .slice(0, 20000);
    const whole = countTextTokens(text.slice(0, 1000));
    expect(whole).toBeGreaterThan(100);
    const dashes = '-'.repeat(65_000);
    expect(countTextTokens(dashes)).toBeGreaterThan(1000);
  });
});

describe('stable types', () => {
  it('every field keeps one JSON type on every line, across subsets of a real export (scores always with a fraction)', () => {
    const corrections = all.map((c, i) =>
      decided({ candidate_id: c.id, action: 'correct', corrected_response: `Reviewed ${i}.`, failure_category: i % 3 ? 'wrong_answer' : null }),
    );
    const text = exportWith(corrections).lines.map(serializeExportLine).join('');
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => /"quality_score":\d+[,}]/.test(l))).toEqual([]);
    // As a type-inferring reader does it, per subset: whole-number scores become integers, others floats.
    const infer = (subset: string[]) => {
      const types = new Map<string, Set<string>>();
      for (const l of subset) {
        const raw = JSON.parse(l) as Record<string, unknown>;
        for (const [k, v] of Object.entries(raw)) {
          const kind =
            v === null ? null : typeof v === 'number' ? (/"quality_score":-?\d+\.\d/.test(l) || k !== 'quality_score' ? 'double' : 'bigint') : Array.isArray(v) ? 'list' : typeof v;
          if (kind) types.set(k, (types.get(k) ?? new Set()).add(kind));
        }
      }
      return types;
    };
    const wholeScores = lines.filter((l) => /"quality_score":(0|1)\.0[,}]/.test(l));
    expect(wholeScores.length).toBeGreaterThan(0);
    const subsets = [lines, wholeScores, lines.filter((l) => !wholeScores.includes(l)), lines.slice(0, 50), lines.slice(-50)];
    const reference = infer(lines);
    for (const [, kinds] of reference) expect(kinds.size).toBe(1);
    for (const subset of subsets) {
      for (const [k, kinds] of infer(subset)) expect([...kinds]).toEqual([...reference.get(k)!]);
    }
  });
});

describe('duplicates', () => {
  // The same first-turn question of two MT-Bench runs, corrected alike by the reviewer.
  const [a, b] = all.filter(
    (c) => c.prompt_messages.length === 1 && JSON.stringify(c.prompt_messages) === JSON.stringify(all.find((x) => x.prompt_messages.length === 1)!.prompt_messages),
  );
  const same = (c: Candidate) => decided({ candidate_id: c.id, action: 'correct', corrected_response: 'One reviewed answer.' });

  it('are lines a trainer cannot tell apart: written once, counted and listed with the line kept; --keep-duplicates keeps them', () => {
    expect(a!.benchmark_run_id).not.toBe(b!.benchmark_run_id);
    const out = exportWith([same(a!), same(b!)]);
    expect(out.lines).toHaveLength(1);
    const kept = (out.lines[0] as ExportLine).candidate_id;
    expect(out.duplicates).toEqual([{ candidate_id: kept === a!.id ? b!.id : a!.id, same_as: kept }]);
    expect(out.counts).toMatchObject({ duplicates: 1, lines: 1 });
    expect(out.lengths.lines).toBe(1);
    for (const format of ['messages', 'prompt-completion'] as const) expect(exportWith([same(a!), same(b!)], { format }).lines).toHaveLength(1);
    expect(exportWith([same(a!), same(b!)], { keepDuplicates: true })).toMatchObject({ counts: { duplicates: 0, lines: 2 }, duplicates: [] });
  });

  it('differ in any text, role or label: a preference pair with another rejected answer, a different correction, a kto negative beside a positive', () => {
    expect(a!.model_response).not.toBe(b!.model_response);
    expect(exportWith([same(a!), same(b!)], { format: 'preference' }).lines).toHaveLength(2);
    // kto: the two corrections are one line (label true); the two failed answers (label false) differ.
    expect(exportWith([same(a!), same(b!)], { format: 'kto' })).toMatchObject({ counts: { duplicates: 1, lines: 3 } });
    expect(exportWith([same(a!), decided({ candidate_id: b!.id, action: 'correct', corrected_response: 'Another answer.' })]).lines).toHaveLength(2);
  });
});
