// @vitest-environment jsdom
// Markdown is rendered once per text: the next cards' texts ahead of time (renderAhead),
// a text shown again from what was kept, the oldest forgotten past 64 texts.
import DOMPurify from 'dompurify';
import { afterAll, describe, expect, it } from 'vitest';
import { renderAhead, renderMarkdown } from '../../src/client/markdown.ts';

describe('renderMarkdown', () => {
  // Counts the sanitiser's real passes, each of which renders one text.
  let passes = 0;
  DOMPurify.addHook('beforeSanitizeElements', (node) => {
    if (node.nodeName === 'BODY') passes += 1;
  });
  afterAll(() => DOMPurify.removeHooks('beforeSanitizeElements'));

  it('renders a text ahead once, and gives the same HTML when the card shows it', async () => {
    const text = '# Ahead\n\n<script>alert(1)</script> and *this*';
    const before = passes;
    renderAhead([text, text]);
    await expect.poll(() => passes - before).toBe(1);
    const html = renderMarkdown(text);
    expect(passes - before).toBe(1);
    expect(html).toContain('<h1>Ahead</h1>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
  });

  it('keeps the last 64 texts: an older one is rendered again', () => {
    const first = 'first text';
    renderMarkdown(first);
    const before = passes;
    renderMarkdown(first);
    expect(passes).toBe(before);
    for (let i = 0; i < 64; i++) renderMarkdown(`text ${i}`);
    const again = passes;
    expect(renderMarkdown(first)).toBe('<p>first text</p>\n');
    expect(passes).toBe(again + 1);
  });
});
