/**
 * New campaign: account, lists, the template editor ({{field}} help, live preview on a sample contact,
 * encoding and segment count as you type — the server's own GSM-7/UCS-2 rules, bundled), and the schedule.
 */
import { countSegments } from "../../../src/domain/segments.ts";
import { parseTemplate, renderTemplate } from "../../../src/domain/template.ts";
import { errorText, get, itemsOf, post } from "../api.ts";
import type { Campaign } from "../campaign-util.ts";
import { empty, field, h, nextId, num, replace, toast } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { navigate } from "../state.ts";
import type { Account } from "./accounts.ts";
import type { ContactList } from "./lists.ts";

interface Sample { phone: string; fields: Record<string, string> }
const FALLBACK: Sample = { phone: "+14155550123", fields: { first_name: "Ana", last_name: "Silva", city: "Lisbon" } };

/** The counter's text and whether it is UCS-2, for a rendered body. */
export function describeSegments(text: string): { text: string; ucs2: boolean; nonGsm: string[] } {
  const s = countSegments(text);
  const per = s.encoding === "GSM-7" ? (s.segments > 1 ? 153 : 160) : s.segments > 1 ? 67 : 70;
  const unit = s.encoding === "GSM-7" ? "characters" : "UTF-16 units";
  return { text: `${s.encoding} · ${num(s.units)} ${unit} · ${s.segments} segment${s.segments === 1 ? "" : "s"} (${per} per segment)`, ucs2: s.encoding === "UCS-2", nonGsm: s.nonGsm };
}

export async function campaignNewScreen(ctx: Ctx): Promise<void> {
  ctx.root.append(h("p", { class: "crumbs" }, h("a", { href: "/campaigns" }, "Campaigns"), " / "), h("h1", null, "New campaign"));
  let accounts: Account[] = [];
  let lists: ContactList[] = [];
  const problems: string[] = [];
  await Promise.all([
    get("/api/v1/accounts").then((x) => (accounts = itemsOf<Account>(x))).catch((e) => problems.push(`Accounts: ${errorText(e)}`)),
    get("/api/v1/lists").then((x) => (lists = itemsOf<ContactList>(x))).catch((e) => problems.push(`Lists: ${errorText(e)}`)),
  ]);
  if (ctx.left) return;
  if (problems.length) ctx.root.append(h("div", { class: "error", role: "alert" }, problems.map((p) => h("p", null, p))));
  if (!accounts.length) ctx.root.append(empty("You need an account to send from.", h("a", { href: "/accounts" }, "Connect an account")));
  if (!lists.length && !problems.some((p) => p.startsWith("Lists"))) ctx.root.append(empty("You need a list of contacts.", h("a", { href: "/lists" }, "Create a list")));

  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const account = h("select", { name: "accountId", required: true },
    accounts.map((a) => h("option", { value: a.id }, `${a.name} (${a.driver}, ${num(a.quotaPerMinute)}/min)`)));
  const listBoxes = lists.map((l) => ({ l, box: h("input", { type: "checkbox", name: "listIds", value: l.id, id: nextId("list") }) }));
  const listSet = h("fieldset", { class: "checks" }, h("legend", null, "Lists"),
    listBoxes.length ? listBoxes.map(({ l, box }) => h("label", { class: "check", for: box.id }, box, ` ${l.name} `, h("span", { class: "muted" }, `(${num(l.contacts)})`))) : h("p", { class: "muted" }, "No list available."));
  const body = h("textarea", { name: "body", required: true, rows: 5, maxlength: 5000, placeholder: "Hi {{first_name}}, our spring sale starts today! Reply STOP to opt out." });
  const counter = h("p", { id: "segment-counter", class: "counter", "aria-live": "polite" });
  const warning = h("p", { id: "ucs2-warning", class: "notice warn", role: "status", hidden: true });
  const fieldHelp = h("div", { class: "field-help" });
  const preview = h("div", { class: "sms-preview", id: "preview", "aria-live": "polite" });
  const previewNote = h("p", { class: "muted small" });
  const when = h("select", { name: "when" },
    h("option", { value: "manual" }, "Prepare, then wait for me to start"),
    h("option", { value: "now" }, "Start as soon as the messages are prepared"),
    h("option", { value: "at" }, "Start at a date and time"));
  const startAt = h("input", { type: "datetime-local", name: "startAt" });
  const startAtField = field("Start at (your local time)", startAt);
  startAtField.hidden = true;
  when.addEventListener("change", () => { startAtField.hidden = when.value !== "at"; startAt.required = when.value === "at"; });
  const submit = h("button", { type: "submit", disabled: !accounts.length }, "Create campaign");

  let sample: Sample = FALLBACK;
  let sampleFrom = "an example contact";
  const update = () => {
    const parts = parseTemplate(body.value);
    const lookup = (f: string) => (f === "phone" ? sample.phone : Object.entries(sample.fields).find(([k]) => k.toLowerCase() === f)?.[1]);
    const r = renderTemplate(parts, lookup);
    preview.textContent = r.text || "Your message appears here.";
    preview.classList.toggle("placeholder", !r.text);
    const seg = describeSegments(r.text);
    counter.textContent = seg.text;
    counter.dataset.encoding = seg.ucs2 ? "UCS-2" : "GSM-7";
    warning.hidden = !seg.ucs2;
    warning.textContent = seg.ucs2 ? `Characters outside GSM-7 (${seg.nonGsm.join(" ")}) switch the whole message to UCS-2: 70 characters per segment instead of 160, so it may cost more.` : "";
    previewNote.textContent = `Preview for ${sampleFrom}${r.missing ? ` — ${r.missing} field(s) empty for this contact` : ""}. Each recipient's length depends on their own fields.`;
  };
  const drawFieldHelp = () => {
    const names = ["phone", ...Object.keys(sample.fields)];
    replace(fieldHelp, h("span", { class: "muted" }, "Insert a field: "), names.map((n) =>
      h("button", { type: "button", class: "chip", onclick: () => insert(`{{${n}}}`) }, `{{${n}}}`)),
      h("small", { class: "help" }, " Fields come from your CSV's columns; {{name}} is replaced per contact, empty when missing."));
  };
  const insert = (text: string) => {
    const s = body.selectionStart ?? body.value.length;
    body.setRangeText(text, s, body.selectionEnd ?? s, "end");
    body.focus();
    update();
  };
  const loadSample = async () => {
    const chosen = listBoxes.find((x) => x.box.checked)?.l ?? lists[0];
    if (!chosen) return;
    try {
      const page = await get<{ items: Sample[] }>(`/api/v1/lists/${encodeURIComponent(chosen.id)}/contacts?limit=1`);
      const c = itemsOf<Sample>(page)[0];
      if (c) { sample = { phone: c.phone, fields: c.fields ?? {} }; sampleFrom = `${c.phone} from “${chosen.name}”`; }
    } catch { /* keep the example contact */ }
    drawFieldHelp();
    update();
  };
  body.addEventListener("input", update);
  listBoxes.forEach(({ box }) => box.addEventListener("change", loadSample));

  const form = h("form", { class: "card", "aria-label": "New campaign" },
    h("div", { class: "grid-2" }, field("Name", name), field("Send from account", account)),
    listSet,
    h("div", { class: "editor" },
      h("div", null, field("Message", body), fieldHelp, counter, warning),
      h("div", null, h("h2", { class: "small-h" }, "Preview"), preview, previewNote)),
    h("div", { class: "grid-2" }, field("When", when), startAtField),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const listIds = listBoxes.filter((x) => x.box.checked).map((x) => x.l.id);
    if (!listIds.length) { toast("Choose at least one list", "error"); return; }
    submit.disabled = true;
    try {
      const input: Record<string, unknown> = { name: name.value.trim(), accountId: account.value, listIds, body: body.value };
      if (when.value === "at") input.startAt = new Date(startAt.value).toISOString();
      const c = await post<Campaign>("/api/v1/campaigns", input);
      if (when.value === "now") await post(`/api/v1/campaigns/${encodeURIComponent(c.id)}/start`);
      toast(`Campaign “${c.name}” created`);
      navigate(`/campaigns/${encodeURIComponent(c.id)}`);
    } catch (e) {
      toast(errorText(e), "error");
      submit.disabled = false;
    }
  });
  ctx.root.append(form);
  if (listBoxes.length === 1) listBoxes[0]!.box.checked = true;
  drawFieldHelp();
  update();
  await loadSample();
}
