/**
 * A tiny HTML template helper: every interpolated value is escaped unless it is a {@link SafeHtml}
 * fragment that this module built itself. Pages are assembled only from `html` templates, so
 * attacker-controlled text (client names, usernames, URLs) can never become markup.
 *
 * It does NOT make a value safe inside `<script>`, `<style>`, event-handler attributes or unquoted
 * attributes: templates must quote every attribute (`value="${x}"`) and never interpolate into
 * script or style (the pages have no script, and the style sheet is a constant).
 */

const brand = Symbol.for('gatehouse.SafeHtml');

/** Markup known to be safe: produced by {@link html}, {@link join} or {@link trustedConstant}. */
export class SafeHtml {
  readonly [brand] = true;
  readonly #value: string;

  /** @internal Use {@link html}; the constructor is not exported from the package. */
  constructor(value: string) {
    this.#value = value;
  }

  toString(): string {
    return this.#value;
  }
}

/** True for a {@link SafeHtml} (also one built by another copy of this module). */
export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

const replacements: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute value (HTML Living Standard §13.1.2.3,
 * §13.1.3): `& < > " ' \``.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => replacements[char] ?? char);
}

/** A value a template may interpolate. Arrays are joined without separator; null/undefined/false render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafeHtml(value)) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template: the literal parts are trusted markup, each `${value}` is escaped
 * (see {@link HtmlValue}).
 *
 * @example html`<p class="note">${userText}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}

/** Joins values (escaping strings) with an optional trusted separator. */
export function join(values: readonly HtmlValue[], separator: SafeHtml = new SafeHtml('')): SafeHtml {
  return new SafeHtml(values.map(render).join(separator.toString()));
}

/**
 * Wraps a constant written in this package's source (the style sheet) as markup. Never pass it a
 * value that came from a request, a client or storage.
 */
export function trustedConstant(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
