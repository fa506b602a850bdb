/** Keeps inlined text from closing its <script>/<style> element early. */
export const inlineSafe = (js: string): string => js.replace(/<\/(script|style)/gi, '<\\/$1');

/** JSON for a `<script type="application/json">` block: no `<`, and JS-safe line separators. */
export const jsonForHtml = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
