/**
 * Markup that is already safe: produced by the {@link markup} tag (which escaped every value) or
 * wrapped deliberately with {@link rawHtml}.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and quoted attribute values (also inside inline SVG).
 *
 * @example
 * escapeHtml('<script>alert("x")</script>'); // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Marks trusted markup (constant strings written in this folder) as safe. Never pass report data.
 *
 * @example
 * rawHtml('<br>');
 */
export function rawHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** What may be interpolated into {@link markup}: text is escaped, arrays are joined, nullish and false vanish. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolated value unless it is {@link SafeHtml}, so
 * untrusted text (group ids, paths, warnings) can only ever become text. (Not named `html`: Prettier
 * would reformat the templates as HTML and change the whitespace inside SVG text.)
 *
 * @example
 * markup`<td>${group.id}</td>`; // '<td>&lt;script&gt;…</td>' for a hostile id
 */
export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}
