// Export lines checked against real chat templates (tests/fixtures/chat-templates), on real
// MT-Bench prompts given a system prompt: which templates refuse, drop or move it, and
// that --system auto's choice leaves no line that renders other than meant.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { checkLine, loadChatTemplate, rendersSystem } from '../../src/lib/export/chat-template.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { DEFAULT_EXPORT_OPTIONS, type ExportFormat, type SystemPolicy } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { ROOT } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const DIR = join(ROOT, 'tests/fixtures/chat-templates');
const templates = readdirSync(DIR)
  .filter((f) => f.endsWith('.jinja'))
  .sort()
  .map((f) => ({ name: f.replace(/\.jinja$/, ''), template: loadChatTemplate(readFileSync(join(DIR, f), 'utf8'), f) }));
const SYSTEM = 'You are a careful assistant. Answer in plain English.';
const at = new Date('2024-05-01T12:00:00Z');

// Real candidates of one MT-Bench run, each prompt given a system prompt first: turn-1 and turn-2 questions.
const located = readdirSync(join(ROOT, 'candidates'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .slice(0, 1)
  .flatMap((f) => parseCandidateFile(readFileSync(join(ROOT, 'candidates', f), 'utf8'), `candidates/${f}`).candidates)
  .slice(0, 60)
  .map((l) => ({ ...l, candidate: { ...l.candidate, prompt_messages: [{ role: 'system' as const, content: SYSTEM }, ...l.candidate.prompt_messages] } }));
const { byId } = indexCandidates(located);
const corrections = located.map(({ candidate }, i) => ({
  correction: createCorrection({ candidate_id: candidate.id, action: 'correct', corrected_response: `Reviewed answer ${i}:\n\n    indented code\nand prose.` }, ann, at),
  file: correctionPath(candidate.id, ann.email),
}));
const FORMATS: ExportFormat[] = ['full', 'messages', 'prompt-completion', 'preference', 'openai-preference', 'kto'];
const problemsOf = (template: (typeof templates)[number]['template'], format: ExportFormat, system: SystemPolicy) => {
  const out = compileExport(byId, corrections, { ...DEFAULT_EXPORT_OPTIONS, format, system, ...(format === 'kto' ? { actions: ['correct', 'flag'] } : {}) });
  expect(out.lines.length).toBeGreaterThan(0);
  return new Set(out.lines.flatMap((line) => checkLine(template, line)));
};

describe('export lines checked against real chat templates', () => {
  it('has turn-2 prompts among the candidates, each with a system prompt', () => {
    expect(located.filter((l) => l.candidate.prompt_messages.length === 4).length).toBeGreaterThan(5);
  });

  it('finds which templates refuse, drop or move a system prompt', () => {
    expect(templates.filter((t) => !rendersSystem(t.template)).map((t) => t.name)).toEqual([
      'Phi-3-mini-4k-instruct-orig',
      'google-gemma-2-2b-it',
      'mistralai-Mistral-7B-Instruct-v0.3',
      'mistralai-Mistral-Nemo-Instruct-2407',
    ]);
  });

  it('lists what goes wrong when the system prompt is kept regardless', () => {
    const keep = (name: string, format: ExportFormat) => [...problemsOf(templates.find((t) => t.name === name)!.template, format, 'keep')];
    expect(keep('google-gemma-2-2b-it', 'messages')).toEqual(['the template refuses it: System role not supported']);
    expect(keep('mistralai-Mistral-Nemo-Instruct-2407', 'prompt-completion')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^the rendered prompt is not the start of the rendered prompt and answer/), 'the template drops the system prompt']),
    );
    expect(keep('mistralai-Mistral-7B-Instruct-v0.3', 'preference')).toEqual(['the template drops the system prompt']);
    expect(keep('Phi-3-mini-4k-instruct-orig', 'kto')).toEqual(['the template drops the system prompt']);
    expect(keep('meta-llama-Llama-3.1-8B-Instruct', 'prompt-completion')).toEqual([]);
  });

  it.each(templates)('$name: --system auto leaves no line of any format that renders other than meant', ({ template }) => {
    const system = rendersSystem(template) ? 'keep' : 'merge';
    for (const format of FORMATS) expect([format, ...problemsOf(template, format, system)]).toEqual([format]);
  });

  it('reads a tokenizer_config.json: its chat_template (or the one named default) and its special tokens; refuses one without a template', () => {
    const llama = readFileSync(join(DIR, 'meta-llama-Llama-3.1-8B-Instruct.jinja'), 'utf8');
    const config = loadChatTemplate(
      JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'x' },
          { name: 'default', template: '{{ bos_token }}{{ messages[0].content }}' },
        ],
        bos_token: { content: '<|begin|>' },
      }),
      'tokenizer_config.json',
    );
    expect(config.render([{ role: 'user', content: 'hi' }], false)).toBe('<|begin|>hi');
    expect(loadChatTemplate(JSON.stringify({ chat_template: llama }), 'tokenizer_config.json').render([{ role: 'user', content: 'hi' }], true)).toContain(
      '<|start_header_id|>assistant<|end_header_id|>',
    );
    expect(() => loadChatTemplate('{"bos_token": "<s>"}', 'cfg/tokenizer_config.json')).toThrow(/--chat-template cfg\/tokenizer_config.json: no chat_template string in it/);
    expect(() => loadChatTemplate('{"chat_template": ', 'tokenizer_config.json')).toThrow(/is not valid JSON/);
    expect(() => loadChatTemplate('{% if %}', 'broken.jinja')).toThrow(/--chat-template broken.jinja: not a Jinja template/);
  });
});
