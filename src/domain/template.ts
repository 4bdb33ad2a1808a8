/** `{{field}}` templates: parsed once per campaign, rendered per contact without re-parsing. */
export type TemplatePart = string | { field: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Splits a template into literal text and field references. */
export function parseTemplate(body: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    if (m.index! > last) parts.push(body.slice(last, m.index));
    parts.push({ field: m[1]!.toLowerCase() });
    last = m.index! + m[0].length;
  }
  if (last < body.length) parts.push(body.slice(last));
  return parts;
}

/** The distinct field names a template uses. */
export function templateFields(parts: TemplatePart[]): string[] {
  return [...new Set(parts.flatMap((p) => (typeof p === "string" ? [] : [p.field])))];
}

/**
 * Renders parsed parts with a lookup; a missing field renders empty and is reported in `missing`.
 * Field names are matched case-insensitively (lookup receives the lower-cased name).
 */
export function renderTemplate(parts: TemplatePart[], lookup: (field: string) => string | undefined): { text: string; missing: number } {
  let text = "";
  let missing = 0;
  for (const p of parts) {
    if (typeof p === "string") text += p;
    else {
      const v = lookup(p.field);
      if (v === undefined || v === "") missing++;
      else text += v;
    }
  }
  return { text, missing };
}
