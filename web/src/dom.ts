/** Tiny DOM helpers: `h()` builds elements, plus the few widgets every screen shares. No framework. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

/** Creates an element: `on*` keys add listeners, `value`/`checked` set properties, `true` sets a bare attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === "value" || k === "checked" || k === "indeterminate") (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children, flattening arrays and skipping empty values. */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let uid = 0;
/** A unique element id, for label/input pairs. */
export function nextId(prefix = "f"): string {
  return `${prefix}-${++uid}`;
}

/** A labelled form control: `<div class=field><label for>…</label>control<small>help</small></div>`. */
export function field(label: string, control: HTMLElement, help?: string): HTMLDivElement {
  const id = control.id || nextId();
  control.id = id;
  const helpId = help ? `${id}-help` : undefined;
  if (helpId) control.setAttribute("aria-describedby", helpId);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, help ? h("small", { id: helpId, class: "help" }, help) : null);
}

/** An empty state: a short sentence and an optional next step. */
export function empty(text: string, ...extra: Child[]): HTMLElement {
  return h("div", { class: "empty" }, h("p", null, text), ...extra);
}

/** A progress bar with an accessible label and a visible caption. */
export function progress(value: number, max: number, label: string, caption?: string): HTMLElement {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return h("div", { class: "progress-wrap" },
    h("div", { class: "progress", role: "progressbar", "aria-label": label, "aria-valuemin": 0, "aria-valuemax": max, "aria-valuenow": value, "data-value": value, "data-max": max },
      h("div", { class: "progress-fill", style: `width:${pct.toFixed(1)}%` })),
    caption ? h("div", { class: "progress-caption" }, caption) : null);
}

/** A status pill; the class carries its colour. */
export function badge(text: string, kind = text): HTMLElement {
  return h("span", { class: `badge badge-${kind}` }, text.replace(/_/g, " "));
}

/** A button that copies text to the clipboard and says so. */
export function copyButton(text: string, label = "Copy"): HTMLButtonElement {
  const b = h("button", { type: "button", class: "secondary small", "aria-label": `${label} to clipboard` }, label);
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API needs a secure context; fall back to a hidden textarea.
      const ta = h("textarea", { class: "sr-only" }, text);
      document.body.append(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    b.textContent = "Copied";
    setTimeout(() => (b.textContent = label), 1500);
  });
  return b;
}

/** Asks for confirmation in a modal `<dialog>`; resolves true when confirmed. */
export function confirmDialog(message: string, confirmLabel = "Confirm", danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm", "aria-label": "Confirm" },
      h("form", { method: "dialog" },
        h("p", null, message),
        h("div", { class: "actions" },
          h("button", { value: "cancel", class: "secondary" }, "Cancel"),
          h("button", { value: "ok", class: danger ? "danger" : "", autofocus: true }, confirmLabel))));
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "ok");
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Shows a short message in the live region (errors stay longer). */
export function toast(text: string, kind: "ok" | "error" = "ok"): void {
  const region = document.getElementById("toasts");
  if (!region) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  region.append(t);
  // Never more than three at once: the oldest give way.
  while (region.childElementCount > 3) region.firstElementChild?.remove();
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 2500);
}

const nf = new Intl.NumberFormat();
/** A number with thousands separators; "—" for missing. */
export function num(n: number | undefined | null): string {
  return typeof n === "number" && Number.isFinite(n) ? nf.format(n) : "—";
}

/** A local date-time for an ISO string or epoch ms; "—" when missing. */
export function when(t: string | number | undefined | null): string {
  if (t === undefined || t === null || t === "") return "—";
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const thisYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, { month: "short", day: "numeric", year: thisYear ? undefined : "numeric", hour: "numeric", minute: "2-digit" });
}

/** A table with a caption (screen readers) and header row; rows are arrays of cells. */
export function table(caption: string, headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLElement {
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("caption", { class: "sr-only" }, caption),
      h("thead", null, h("tr", null, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", null, rows.map((r) => h("tr", null, r.map((c, i) => h("td", { "data-label": headers[i] ?? "" }, c)))))));
}
