/** Untrusted text shown as sanitised Markdown, or raw (as typed) when `raw` is set. */
import { createEffect, Show } from 'solid-js';
import { renderMarkdown } from '../client/markdown.ts';
import { findControlTokens } from '../lib/export/control-tokens.ts';

export interface RichTextProps {
  text: string;
  raw: boolean;
  /** Mark chat-template control tokens (src/lib/export/control-tokens.ts) where they stand in the text. */
  markControlTokens?: boolean;
}

/** Wraps each control token in the element's text nodes in a `<mark>`, as text (nothing is parsed). */
function markTokens(root: HTMLElement) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  for (const node of nodes) {
    const text = node.data;
    const found = findControlTokens(text);
    if (!found.length) continue;
    const parts = document.createDocumentFragment();
    let at = 0;
    for (const { token, index } of found) {
      if (index > at) parts.append(text.slice(at, index));
      const mark = document.createElement('mark');
      mark.className = 'control-token';
      mark.title = 'Chat-template control token: a tokenizer turns it into a real turn marker';
      mark.textContent = token;
      parts.append(mark);
      at = index + token.length;
    }
    if (at < text.length) parts.append(text.slice(at));
    node.replaceWith(parts);
  }
}

export function RichText(props: RichTextProps) {
  let pre: HTMLPreElement | undefined;
  let div: HTMLDivElement | undefined;
  createEffect(() => {
    // Read both so the marks are redone whenever the text or the view changes.
    const raw = props.raw;
    void props.text;
    if (!props.markControlTokens) return;
    queueMicrotask(() => {
      const el = raw ? pre : div;
      if (el?.isConnected) markTokens(el);
    });
  });
  return (
    <Show
      when={!props.raw}
      fallback={
        <pre class="text" ref={pre} tabindex="0">
          {props.text}
        </pre>
      }
    >
      {/* renderMarkdown escapes raw HTML and sanitises the result with DOMPurify. */}
      {/* Focusable: a long text scrolls in its box, which the keyboard must reach too. */}
      <div class="text markdown" ref={div} tabindex="0" innerHTML={renderMarkdown(props.text)} />
    </Show>
  );
}
