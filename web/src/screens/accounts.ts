/**
 * Provider accounts: the driver picked from GET /api/v1/drivers with its fields rendered from the driver's
 * description (secret fields write-only), the webhook URL with a copy button, numbers, and the computed quota.
 * Accounts with a standing link (SMPP) show whether it is bound, connecting or down (why, in the badge's title).
 */
import { del, errorText, get, itemsOf, patch, post } from "../api.ts";
import { badge, confirmDialog, copyButton, empty, field, h, num, replace, table, toast } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { navigate } from "../state.ts";

export interface DriverField { name: string; label: string; secret: boolean; required?: boolean; type?: "string" | "number" | "boolean"; help?: string }
export interface Driver { name: string; label?: string; fields: DriverField[] }
export interface SenderNumber { number: string; type: string; mps: number; mpsDefault?: boolean }
export interface AccountLink { state: "bound" | "connecting" | "down"; since: string; lastError?: string; attempts?: number }
export interface Account {
  id: string; name: string; driver: string; config: Record<string, unknown>; secretsSet: string[]; perMinuteCap: number | null;
  paused: boolean; quotaPerMinute: number; numbers: SenderNumber[]; webhookUrl: string; link?: AccountLink;
}

const TYPES: Array<[string, string]> = [["long_code", "Long code (1 msg/s)"], ["toll_free", "Toll-free (3 msg/s)"], ["short_code", "Short code (100 msg/s)"]];

export async function accountsScreen(ctx: Ctx): Promise<void> {
  const slot = h("div", null, h("p", { class: "muted" }, "Loading…"));
  const formSlot = h("div");
  ctx.root.append(h("h1", null, "Accounts"),
    h("section", { class: "card" }, h("h2", null, "Your provider accounts"), slot),
    h("section", { class: "card", "aria-labelledby": "new-acc-h" }, h("h2", { id: "new-acc-h" }, "Connect an account"), formSlot));
  // Refreshed so a link that binds, drops or is refused shows without a reload.
  ctx.every(5000, async () => {
    try {
      const accounts = itemsOf<Account>(await get("/api/v1/accounts"));
      if (ctx.left) return;
      replace(slot, accounts.length
        ? table("Accounts", ["Name", "Driver", "Numbers", "Quota / minute", "State", "Link"], accounts.map((a) => [
          h("a", { href: `/accounts/${encodeURIComponent(a.id)}` }, a.name), a.driver, num(a.numbers.length), num(a.quotaPerMinute),
          a.paused ? badge("paused") : badge("active"), a.link ? linkBadge(a.link) : "—",
        ]))
        : empty("No account yet. Start with a sandbox account: it sends nothing and simulates delivery reports."));
    } catch (e) {
      replace(slot, h("p", { class: "error", role: "alert" }, errorText(e)));
    }
  });
  try {
    const drivers = itemsOf<Driver>(await get("/api/v1/drivers"));
    replace(formSlot, accountForm(drivers));
  } catch (e) {
    replace(formSlot, h("p", { class: "error", role: "alert" }, errorText(e)));
  }
}

/** The link's state as a badge; its title says since when and, when down, why. */
export function linkBadge(link: AccountLink): HTMLElement {
  const el = badge(link.state, `link-${link.state}`);
  const since = `since ${new Date(link.since).toLocaleString()}`;
  const failed = link.attempts ? ` · ${link.attempts} failed bind${link.attempts === 1 ? "" : "s"} in a row` : "";
  el.title = link.lastError ? `${link.lastError} (${since}${failed})` : since;
  return el;
}

/** A control for one driver field; secret fields are password inputs that are never pre-filled. */
function fieldControl(f: DriverField, current: unknown, isSet: boolean): HTMLElement {
  const name = `cfg-${f.name}`;
  if (f.type === "boolean") return h("input", { type: "checkbox", name, checked: current === true });
  const input = h("input", {
    name, type: f.secret ? "password" : f.type === "number" ? "number" : "text", autocomplete: f.secret ? "new-password" : "off",
    step: f.type === "number" ? "any" : undefined, required: f.required && !isSet,
    placeholder: f.secret && isSet ? "•••••• stored — leave empty to keep" : undefined,
    value: !f.secret && current !== undefined && current !== null ? String(current) : undefined,
  });
  return input;
}

/** Renders a driver's fields; `read()` returns the config object to send (empty secrets left out). */
function driverFields(driver: Driver, account?: Account): { el: HTMLElement; read(): Record<string, unknown> } {
  const controls = driver.fields.map((f) => {
    const isSet = account?.secretsSet.includes(f.name) ?? false;
    const ctl = fieldControl(f, account?.config?.[f.name], isSet);
    const help = [f.help, f.secret ? (isSet ? "Secret: stored, never shown." : "Secret: write-only, never shown again.") : ""].filter(Boolean).join(" ");
    return { f, ctl, el: field(f.label + (f.required ? "" : " (optional)"), ctl, help || undefined) };
  });
  return {
    el: h("div", { class: "driver-fields" }, controls.length ? controls.map((c) => c.el) : h("p", { class: "muted" }, "This driver needs no settings.")),
    read() {
      const cfg: Record<string, unknown> = {};
      for (const { f, ctl } of controls) {
        const input = ctl as HTMLInputElement;
        if (f.type === "boolean") cfg[f.name] = input.checked;
        else if (input.value.trim() !== "") cfg[f.name] = f.type === "number" ? Number(input.value) : input.value.trim();
      }
      return cfg;
    },
  };
}

function accountForm(drivers: Driver[]): HTMLElement {
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const driver = h("select", { name: "driver" }, drivers.map((d) => h("option", { value: d.name, selected: d.name === "sandbox" }, d.label ?? d.name)));
  const cap = h("input", { name: "perMinuteCap", type: "number", min: 1, step: 1 });
  const fieldsSlot = h("div");
  const realOk = h("input", { type: "checkbox", name: "real" });
  const realBox = h("div", { class: "notice warn" }, h("label", { class: "check" }, realOk, " This account sends real SMS through the provider, and costs money."));
  const submit = h("button", { type: "submit" }, "Connect account");
  let fields = driverFields(drivers.find((d) => d.name === driver.value) ?? { name: "sandbox", fields: [] });
  const redraw = () => {
    fields = driverFields(drivers.find((d) => d.name === driver.value)!);
    replace(fieldsSlot, fields.el);
    realBox.hidden = driver.value === "sandbox";
    realOk.required = driver.value !== "sandbox";
  };
  driver.addEventListener("change", redraw);
  redraw();
  const form = h("form", { "aria-labelledby": "new-acc-h" },
    h("div", { class: "grid-2" }, field("Name", name), field("Driver", driver, "Sandbox sends nothing: safe for trying things out.")),
    fieldsSlot,
    field("Cap per minute (optional)", cap, "Upper bound on the quota computed from the numbers' rates"),
    realBox, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const body: Record<string, unknown> = { name: name.value.trim(), driver: driver.value, config: fields.read() };
      if (cap.value) body.perMinuteCap = Number(cap.value);
      const acc = await post<Account>("/api/v1/accounts", body);
      toast(`Account “${acc.name}” connected`);
      navigate(`/accounts/${encodeURIComponent(acc.id)}`);
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function accountDetailScreen(ctx: Ctx): Promise<void> {
  const id = ctx.params.id!;
  const base = `/api/v1/accounts/${encodeURIComponent(id)}`;
  const body = h("div");
  ctx.root.append(h("p", { class: "crumbs" }, h("a", { href: "/accounts" }, "Accounts"), " / "), body);
  let drivers: Driver[] = [];
  try { drivers = itemsOf<Driver>(await get("/api/v1/drivers")); } catch { /* fields section says so */ }
  const draw = async () => {
    let a: Account;
    try {
      a = await get<Account>(base);
    } catch (e) {
      replace(body, h("h1", null, "Account"), h("p", { class: "error", role: "alert" }, errorText(e)));
      return;
    }
    document.title = `${a.name} · Pombo`;
    replace(body,
      h("div", { class: "row-between" }, h("h1", null, a.name, " ", badge(a.driver, "driver"), a.link ? [" ", linkBadge(a.link)] : null), actions(a)),
      a.link?.state === "down" ? h("p", { class: "notice warn", id: "link-error" }, `Link down: ${a.link.lastError ?? "unknown reason"}. Pombo keeps retrying.`) : null,
      h("div", { class: "cards" },
        h("div", { class: "stat" }, h("div", { class: "stat-value", id: "quota" }, num(a.quotaPerMinute)), h("div", { class: "stat-label" }, "Messages per minute (quota)"),
          h("small", null, "Σ numbers' msg/s × 60 × 0.9", a.perMinuteCap ? `, capped at ${num(a.perMinuteCap)}` : "")),
        h("div", { class: "stat" }, h("div", { class: "stat-value" }, num(a.numbers.length)), h("div", { class: "stat-label" }, "Sender numbers")),
        h("div", { class: "stat" }, h("div", { class: "stat-value" }, a.paused ? "Paused" : "Active"), h("div", { class: "stat-label" }, "Sending"))),
      h("section", { class: "card", "aria-labelledby": "wh-h" },
        h("h2", { id: "wh-h" }, "Webhook URL"),
        h("p", null, "Paste this URL into the provider's console as the status callback and inbound message URL."),
        h("div", { class: "copy-row" }, h("code", { class: "url", id: "webhook-url" }, a.webhookUrl), copyButton(a.webhookUrl, "Copy URL"))),
      numbersCard(a, base, draw),
      settingsCard(a, drivers.find((d) => d.name === a.driver), base, draw));
  };
  const actions = (a: Account) => h("div", { class: "actions" },
    h("button", { type: "button", class: "secondary", onclick: async () => {
      try { await patch(base, { paused: !a.paused }); toast(a.paused ? "Sending resumed" : "Sending paused"); await draw(); } catch (e) { toast(errorText(e), "error"); }
    } }, a.paused ? "Resume sending" : "Pause sending"),
    h("button", { type: "button", class: "danger secondary", onclick: async () => {
      if (!(await confirmDialog(`Delete the account “${a.name}” and its numbers?`, "Delete account", true))) return;
      try { await del(base); toast("Account deleted"); navigate("/accounts"); } catch (e) { toast(errorText(e), "error"); }
    } }, "Delete"));
  await draw();
}

function numbersCard(a: Account, base: string, redraw: () => Promise<void>): HTMLElement {
  const number = h("input", { name: "number", required: true, placeholder: "+15551234567", maxlength: 40, autocomplete: "off" });
  const type = h("select", { name: "type" }, TYPES.map(([v, l]) => h("option", { value: v }, l)));
  const mps = h("input", { name: "mps", type: "number", min: 0.1, step: "any", placeholder: "type default" });
  const submit = h("button", { type: "submit" }, "Add number");
  const form = h("form", { class: "inline-form", "aria-label": "Add a sender number" },
    field("Number", number), field("Type", type), field("Messages per second", mps), submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      await post(`${base}/numbers`, { number: number.value.trim(), type: type.value, ...(mps.value ? { mps: Number(mps.value) } : {}) });
      toast(`Number ${number.value.trim()} added`);
      await redraw();
      document.querySelector<HTMLInputElement>("input[name=number]")?.focus();
    } catch (e) {
      toast(errorText(e), "error");
      submit.disabled = false;
    }
  });
  const label = (t: string) => TYPES.find(([v]) => v === t)?.[1].replace(/ \(.*/, "") ?? t;
  return h("section", { class: "card", "aria-labelledby": "num-h" }, h("h2", { id: "num-h" }, "Sender numbers"),
    a.numbers.length
      ? table("Sender numbers", ["Number", "Type", "Rate", ""], a.numbers.map((n) => [
        h("span", { class: "mono" }, n.number), label(n.type), `${num(n.mps)} msg/s${n.mpsDefault ? " (default)" : ""}`,
        h("button", { type: "button", class: "link danger", "aria-label": `Remove ${n.number}`, onclick: async () => {
          if (!(await confirmDialog(`Remove ${n.number} from this account?`, "Remove", true))) return;
          try { await del(`${base}/numbers/${encodeURIComponent(n.number)}`); await redraw(); } catch (e) { toast(errorText(e), "error"); }
        } }, "Remove"),
      ]), { id: "numbers" })
      : empty("No number yet: the quota is 0 until you add one."),
    form);
}

function settingsCard(a: Account, driver: Driver | undefined, base: string, redraw: () => Promise<void>): HTMLElement {
  if (!driver) return h("section", { class: "card" }, h("h2", null, "Settings"), h("p", { class: "muted" }, `The driver “${a.driver}” is not available on this server.`));
  const name = h("input", { name: "name", value: a.name, required: true, maxlength: 200 });
  const cap = h("input", { name: "perMinuteCap", type: "number", min: 1, step: 1, value: a.perMinuteCap ?? undefined });
  const fields = driverFields(driver, a);
  const submit = h("button", { type: "submit" }, "Save settings");
  const form = h("form", { "aria-labelledby": "set-h" }, h("div", { class: "grid-2" }, field("Name", name), field("Cap per minute (optional)", cap)), fields.el, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      await patch(base, { name: name.value.trim(), config: fields.read(), perMinuteCap: cap.value ? Number(cap.value) : null });
      toast("Settings saved");
      await redraw();
    } catch (e) {
      toast(errorText(e), "error");
      submit.disabled = false;
    }
  });
  return h("section", { class: "card", "aria-labelledby": "set-h" }, h("h2", { id: "set-h" }, "Settings · ", driver.label ?? driver.name), form);
}
