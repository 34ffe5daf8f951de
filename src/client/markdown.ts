/**
 * Markdown for untrusted text (prompts and model responses). Raw HTML in the text is
 * shown as text, never parsed as HTML; the rendered result is sanitised by DOMPurify
 * anyway (defence in depth); images are not loaded (a model's `![](url)` becomes a link),
 * and links open in a new tab without a referrer. Browser only (DOMPurify needs a DOM).
 */
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML blocks and inline tags in a model's answer are text to read, not markup.
    html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text),
    image: (token: Tokens.Image) => `<a href="${escapeHtml(token.href)}" class="image-link">[image: ${escapeHtml(token.text || token.href)}]</a>`,
  },
});

let hooked = false;
function purifier() {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** The last texts rendered, newest last: the next cards' texts are rendered ahead (renderAhead) and a card shown again is not rendered twice. */
const rendered = new Map<string, string>();
const KEPT = 64;

/** Safe HTML for `text` rendered as Markdown. */
export function renderMarkdown(text: string): string {
  let html = rendered.get(text);
  if (html === undefined) {
    html = purifier().sanitize(marked.parse(text) as string, {
      FORBID_TAGS: ['img', 'style', 'iframe', 'form', 'input', 'svg', 'math', 'video', 'audio', 'object', 'embed'],
      FORBID_ATTR: ['style'],
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    });
  } else rendered.delete(text);
  rendered.set(text, html);
  if (rendered.size > KEPT) rendered.delete(rendered.keys().next().value!);
  return html;
}

/**
 * Renders these texts while the page is idle, one per idle moment, so that the card that
 * shows them takes only the insertion of their HTML at the key press.
 */
export function renderAhead(texts: string[]): void {
  const idle = (work: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(work, { timeout: 1000 }) : setTimeout(work, 50));
  const next = (i: number) => {
    if (i >= texts.length) return;
    idle(() => {
      if (!rendered.has(texts[i]!)) renderMarkdown(texts[i]!);
      next(i + 1);
    });
  };
  next(0);
}
