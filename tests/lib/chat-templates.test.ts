import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { DEFAULT_EXPORT_OPTIONS, type ExportFormat } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import type { Candidate, ExportLine, KTOLine, PreferenceLine, PromptCompletionLine } from '../../src/lib/records/schema-types.generated.ts';
import { candidateLine, ROOT } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const TEMPLATES = join(ROOT, 'tests/fixtures/chat-templates');
const templates = readdirSync(TEMPLATES)
  .filter((f) => f.endsWith('.jinja'))
  .sort()
  .map((f) => ({ name: f.replace(/\.jinja$/, ''), template: new Template(readFileSync(join(TEMPLATES, f), 'utf8')) }));
/** Llama 3 and Gemma strip each message's content; the others keep it as it is. */
const TRIMS = /Llama-3|gemma/;

type Msg = { role: string; content: string };
const render = (template: Template, messages: Msg[], addGenerationPrompt = false) =>
  template.render({ messages: messages.map((m) => ({ role: m.role, content: m.content })), bos_token: '<s>', eos_token: '</s>', add_generation_prompt: addGenerationPrompt });

const at = new Date('2024-05-01T12:00:00Z');
const located = readdirSync(join(ROOT, 'candidates'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) => parseCandidateFile(readFileSync(join(ROOT, 'candidates', f), 'utf8'), `candidates/${f}`).candidates);
const { byId } = indexCandidates(located);
const all = located.map((l) => l.candidate);

// A real turn-2 candidate and its turn 1, both corrected; the turn-2 target is code with leading indentation.
const t2 = all.find((c) => c.prompt_messages.length === 3)!;
const t1 = all.find((c) => c.model_id === t2.model_id && c.model_response === t2.prompt_messages[1]!.content && c.prompt_messages.length === 1)!;
const T1_FIXED = 'Subject: Quarterly Financial Report\n\nDear Ms. Rivera,\n\ncould you look at the analysis?';
const TARGET = '    indented first line\nA corrected second turn.';
const decide = (c: Candidate, text: string): LocatedCorrection => ({
  correction: createCorrection({ candidate_id: c.id, action: 'correct', corrected_response: text }, ann, at),
  file: correctionPath(c.id, ann.email),
});
const corrections = [decide(t1, T1_FIXED), decide(t2, TARGET)];
const lineOf = (format: ExportFormat) => compileExport(byId, corrections, { ...DEFAULT_EXPORT_OPTIONS, format }).lines;

describe('export lines rendered through real chat templates', () => {
  it.each(templates)('$name: messages — the target verbatim at the end, the corrected turn 1 in the context, never the failed one', ({ name, template }) => {
    const line = lineOf('messages').find((l) => (l as ExportLine).messages.at(-1)!.content === TARGET) as ExportLine;
    expect(line.messages[1]).toEqual({ role: 'assistant', content: T1_FIXED, weight: 0 });
    const text = render(template, line.messages);
    expect(text).toContain(TRIMS.test(name) ? TARGET.trim() : TARGET);
    expect(text).toContain(T1_FIXED);
    expect(text).not.toContain(t1.model_response.slice(0, 200));
    // Nothing but the template's own end-of-turn text follows the target: no stray newline from a file.
    const after = text.slice(text.lastIndexOf(TARGET.trim()) + TARGET.trim().length);
    expect(after).not.toMatch(/^\s*\n\s*\S/);
  });

  it.each(templates)('$name: prompt-completion — the prompt renders as the start of the whole, so the completion (the target alone) is what is trained', ({ template }) => {
    const line = (lineOf('prompt-completion') as PromptCompletionLine[]).find((l) => l.completion[0]!.content === TARGET)!;
    const whole = render(template, [...line.prompt, ...line.completion]);
    const prompt = render(template, line.prompt, true);
    expect(whole.startsWith(prompt)).toBe(true);
    const completion = whole.slice(prompt.length);
    expect(completion).toContain(TARGET.trim());
    expect(prompt).toContain(T1_FIXED);
    expect(prompt).not.toContain(TARGET.trim());
  });

  it.each(templates)('$name: preference and kto — chosen is the correction, rejected the failed answer, both after the same prompt', ({ template }) => {
    const pref = (lineOf('preference') as PreferenceLine[]).find((l) => l.chosen[0]!.content === TARGET)!;
    const prompt = render(template, pref.prompt, true);
    const chosen = render(template, [...pref.prompt, ...pref.chosen]);
    const rejected = render(template, [...pref.prompt, ...pref.rejected]);
    expect(chosen.startsWith(prompt) && rejected.startsWith(prompt)).toBe(true);
    expect(chosen.slice(prompt.length)).toContain(TARGET.trim());
    expect(rejected.slice(prompt.length)).toContain(t2.model_response.trim().slice(0, 100));
    const kto = (lineOf('kto') as KTOLine[]).filter((l) => l.prompt.length === 3 && l.prompt[0]!.content === t2.prompt_messages[0]!.content);
    expect(kto.map((l) => [l.completion[0]!.content === TARGET, l.label])).toEqual([
      [true, true],
      [false, false],
    ]);
  });
});

describe('a system prompt', () => {
  const c = candidateLine({
    id: 's1',
    prompt_messages: [
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'What is 2 + 2?' },
    ],
    model_response: 'Four.',
  });
  const candidates = indexCandidates(parseCandidateFile(`${c}\n`, 'candidates/run_test.jsonl').candidates).byId;
  const decision = [{ correction: createCorrection({ candidate_id: 's1', action: 'correct', corrected_response: 'Quatre.' }, ann, at), file: correctionPath('s1', ann.email) }];
  const gemma = templates.find((t) => t.name.includes('gemma'))!.template;
  const messagesWith = (system: 'keep' | 'drop' | 'merge') =>
    (compileExport(candidates, decision, { ...DEFAULT_EXPORT_OPTIONS, format: 'messages', system }).lines[0] as ExportLine).messages;

  it('is kept by default, which Gemma-2 refuses', () => {
    expect(messagesWith('keep')[0]).toEqual({ role: 'system', content: 'Answer in French.' });
    expect(() => render(gemma, messagesWith('keep'))).toThrow(/System role not supported/);
  });

  it('merged into the first user message renders in Gemma with the instruction kept', () => {
    expect(messagesWith('merge')).toEqual([
      { role: 'user', content: 'Answer in French.\n\nWhat is 2 + 2?' },
      { role: 'assistant', content: 'Quatre.' },
    ]);
    expect(render(gemma, messagesWith('merge'))).toContain('<start_of_turn>user\nAnswer in French.\n\nWhat is 2 + 2?<end_of_turn>');
  });

  it('dropped leaves only the conversation', () => {
    expect(messagesWith('drop')).toEqual([
      { role: 'user', content: 'What is 2 + 2?' },
      { role: 'assistant', content: 'Quatre.' },
    ]);
  });
});
