import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { notFound } from "../domain/errors.ts";
import { getContact, listsOfPhone } from "../storage/contacts.ts";
import { authenticate } from "./auth.ts";

/** One phone across the company's lists: its lists, merged custom fields and geo enrichment. */
export function contactRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/contacts", detail: { tags: ["lists"] } })
    .resolve(authenticate(deps))
    .get("/:phone", ({ auth, params }) => {
      const phone = decodeURIComponent(params.phone).trim().replace(/^ /, "+");
      const lists = listsOfPhone(deps.storage, auth.company.id, phone);
      if (lists.length === 0) throw notFound("contact");
      const contacts = lists.map((l) => getContact(deps.storage, auth.company.id, l, phone)!);
      // Later lists fill in fields the earlier ones lack; the first list's values win on conflicts.
      const fields = Object.assign({}, ...contacts.map((c) => c.fields).reverse());
      return { phone, lists, fields, geo: contacts[0]!.geo };
    }, { detail: { summary: "A contact by E.164 phone (url-encode the +)" } });
}
