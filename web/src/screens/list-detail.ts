/**
 * One list: CSV upload (drag-and-drop or file picker) with byte progress, then the import's row progress,
 * which survives a reload (the import id is kept in the URL and localStorage); results with the errors CSV;
 * the contacts browser; delete.
 */
import { del, errorText, get, isMissingRoute, itemsOf, qs } from "../api.ts";
import { confirmDialog, empty, field, h, num, progress, replace, table, toast } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { navigate } from "../state.ts";
import { uploadFile } from "../upload.ts";
import type { ContactList } from "./lists.ts";

export interface ImportStatus {
  id: string; listId: string; status: "queued" | "running" | "done" | "failed";
  bytesTotal: number; bytesDone: number; rows: number; imported: number; duplicates: number; invalid: number; suppressed: number; error?: string;
}
interface Contact { phone: string; fields?: Record<string, string>; geo?: { country?: string; region?: string; city?: string; timezone?: string; carrier?: string } }

const storeKey = (listId: string) => `pombo.import.${listId}`;

export async function listDetailScreen(ctx: Ctx): Promise<void> {
  const listId = ctx.params.id!;
  const base = `/api/v1/lists/${encodeURIComponent(listId)}`;
  const title = h("h1", null, "List");
  const meta = h("p", { class: "muted" });
  const status = h("div", { id: "import-status", "aria-live": "polite" });
  const contactsSlot = h("div");
  const delBtn = h("button", { type: "button", class: "danger secondary" }, "Delete list");
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: "/lists" }, "Lists"), " / "),
    h("div", { class: "row-between" }, title, delBtn), meta,
    uploadCard(base, status, (id) => track(id)),
    h("section", { class: "card", "aria-labelledby": "contacts-h" }, h("h2", { id: "contacts-h" }, "Contacts"), contactsSlot));

  let list: ContactList | undefined;
  const loadList = async () => {
    try {
      list = await get<ContactList>(base);
      title.textContent = list.name;
      document.title = `${list.name} · Pombo`;
      meta.textContent = `${num(list.contacts)} contacts`;
    } catch (e) {
      meta.textContent = errorText(e);
      meta.className = "error";
    }
  };
  delBtn.addEventListener("click", async () => {
    if (!(await confirmDialog(`Delete the list “${list?.name ?? listId}” and its contacts? Campaigns already created keep their messages.`, "Delete list", true))) return;
    try {
      await del(base);
      localStorage.removeItem(storeKey(listId));
      toast("List deleted");
      navigate("/lists");
    } catch (e) {
      toast(errorText(e), "error");
    }
  });

  // Import tracking: polls the import until it is done or failed, then refreshes list and contacts.
  let tracking = "";
  const track = (id: string) => {
    tracking = id;
    localStorage.setItem(storeKey(listId), id);
    const url = new URL(location.href);
    url.searchParams.set("import", id);
    history.replaceState(null, "", url.pathname + url.search);
    let finished = false;
    ctx.every(1000, async () => {
      if (finished || tracking !== id) return;
      try {
        const imp = await get<ImportStatus>(`/api/v1/imports/${encodeURIComponent(id)}`);
        if (tracking !== id) return;
        replace(status, importView(imp, () => { tracking = ""; localStorage.removeItem(storeKey(listId)); replace(status); }));
        if (imp.status === "done" || imp.status === "failed") {
          finished = true;
          await loadList();
          await loadContacts(true);
        }
      } catch (e) {
        replace(status, h("p", { class: "error", role: "alert" }, `Import ${id}: ${errorText(e)}`));
        if (!isMissingRoute(e)) finished = true;
      }
    });
  };

  let cursor: string | undefined;
  let rows: Contact[] = [];
  const loadContacts = async (reset: boolean) => {
    if (reset) { cursor = undefined; rows = []; }
    try {
      const page = await get<{ items: Contact[]; next?: string }>(`${base}/contacts${qs({ limit: 50, cursor })}`);
      rows = rows.concat(itemsOf<Contact>(page));
      cursor = page.next;
      replace(contactsSlot, rows.length ? [contactsTable(rows), cursor ? h("button", { type: "button", class: "secondary", onclick: () => loadContacts(false) }, "Load more") : null]
        : empty("No contacts yet. Upload a CSV file with a phone column (phone, mobile, cell, number…)."));
    } catch (e) {
      replace(contactsSlot, h("p", { class: "error" }, errorText(e)));
    }
  };

  await loadList();
  await loadContacts(true);
  const resume = ctx.query.get("import") ?? localStorage.getItem(storeKey(listId));
  if (resume) track(resume);
}

function uploadCard(base: string, status: HTMLElement, onImport: (id: string) => void): HTMLElement {
  const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", name: "file" });
  const phoneColumn = h("input", { name: "phoneColumn", placeholder: "found by name", maxlength: 100 });
  const country = h("input", { name: "defaultCountry", value: "US", maxlength: 2, size: 3, pattern: "[A-Za-z]{2}", required: true });
  const chosen = h("p", { class: "chosen", "aria-live": "polite" });
  const submit = h("button", { type: "submit", disabled: true }, "Upload and import");
  let picked: File | undefined;
  const pick = (f: File | undefined) => {
    picked = f;
    chosen.textContent = f ? `Ready: ${f.name} (${num(f.size)} bytes)` : "";
    submit.disabled = !f;
  };
  file.addEventListener("change", () => pick(file.files?.[0]));
  const zone = h("div", { class: "dropzone" },
    h("p", null, h("strong", null, "Drop a CSV file here"), ", or choose one:"),
    field("CSV file", file), chosen);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    pick(e.dataTransfer?.files?.[0]);
  });
  const form = h("form", { "aria-label": "Upload contacts" }, zone,
    h("div", { class: "inline-form" },
      field("Phone column", phoneColumn, "Optional: the CSV header of the phone numbers"),
      field("Default country", country, "For numbers without +country code"),
      submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!picked) return;
    submit.disabled = true;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    const total = picked.size;
    const bar = h("div");
    replace(status, h("h3", null, "Uploading"), bar);
    const draw = (sent: number) => replace(bar, progress(sent, total, "Upload progress", `Uploading: ${num(sent)} of ${num(total)} bytes`));
    draw(0);
    try {
      const url = `${base}/imports${qs({ phoneColumn: phoneColumn.value.trim(), defaultCountry: country.value.trim().toUpperCase() })}`;
      const res = (await uploadFile(url, picked, "text/csv", (sent) => draw(sent)).done) as { id: string };
      draw(total);
      onImport(res.id);
      pick(undefined);
      file.value = "";
    } catch (e) {
      replace(status, h("p", { class: "error", role: "alert" }, `Upload failed: ${errorText(e)}`));
    } finally {
      window.removeEventListener("beforeunload", warn);
      submit.disabled = !picked;
    }
  });
  return h("section", { class: "card", "aria-labelledby": "upload-h" }, h("h2", { id: "upload-h" }, "Upload contacts"), form, status);
}

/** The import's progress or, when finished, its results and the errors CSV link. */
export function importView(imp: ImportStatus, dismiss: () => void): HTMLElement {
  const finished = imp.status === "done" || imp.status === "failed";
  // An import reads the whole file (rows counted, contacts sorted on disk), then stores the contacts: in that
  // second phase every byte is read and the rows still to be stored are those not yet counted by outcome.
  const counted = imp.imported + imp.duplicates + imp.invalid + imp.suppressed;
  const storing = imp.status === "running" && imp.bytesTotal > 0 && imp.bytesDone >= imp.bytesTotal && counted < imp.rows;
  const label = imp.status === "queued" ? "Waiting to import…" : imp.status === "running" ? (storing ? "Importing: storing contacts" : "Importing: reading the file") : imp.status === "done" ? "Import done" : "Import failed";
  const caption = storing ? `${num(counted)} of ${num(imp.rows)} rows stored` : `${num(imp.rows)} rows read · ${num(imp.bytesDone)} of ${num(imp.bytesTotal)} bytes`;
  return h("div", { class: `import import-${imp.status}`, "data-status": imp.status },
    h("h3", null, label),
    storing
      ? progress(counted, imp.rows, "Import progress", caption)
      : progress(imp.status === "done" ? imp.bytesTotal : imp.bytesDone, imp.bytesTotal || 1, "Import progress", caption),
    imp.error ? h("p", { class: "error", role: "alert" }, imp.error) : null,
    h("dl", { class: "result-grid" },
      ...([["Imported", imp.imported], ["Duplicates", imp.duplicates], ["Invalid", imp.invalid], ["Suppressed", imp.suppressed]] as const)
        .map(([k, v]) => h("div", { class: "result", "data-key": k.toLowerCase() }, h("dt", null, k), h("dd", null, num(v))))),
    finished ? h("p", { class: "actions" },
      imp.invalid > 0 ? h("a", { href: `/api/v1/imports/${encodeURIComponent(imp.id)}/errors.csv`, download: `import-${imp.id}-errors.csv`, class: "button secondary" }, "Download rejected rows (errors.csv)") : null,
      h("button", { type: "button", class: "link", onclick: dismiss }, "Dismiss")) : null);
}

function contactsTable(rows: Contact[]): HTMLElement {
  const fields = (c: Contact) => Object.entries(c.fields ?? {}).map(([k, v]) => h("span", { class: "kv" }, h("span", { class: "k" }, k), " ", String(v)));
  return table("Contacts", ["Phone", "Fields", "Country", "Region", "City", "Time zone", "Carrier"], rows.map((c) => [
    h("a", { href: `/inbox/${encodeURIComponent(c.phone)}`, class: "mono" }, c.phone), h("div", { class: "kvs" }, fields(c)),
    c.geo?.country || "—", c.geo?.region || "—", c.geo?.city || "—", c.geo?.timezone || "—", c.geo?.carrier || "—",
  ]), { class: "contacts stack" });
}
