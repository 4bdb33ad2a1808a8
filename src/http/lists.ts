import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { notFound } from "../domain/errors.ts";
import { createImport } from "../services/imports.ts";
import { createList, deleteList, listView, renameList } from "../services/lists.ts";
import { saveUpload } from "../services/uploads.ts";
import { listContacts } from "../storage/contacts.ts";
import { getList, listLists } from "../storage/lists.ts";
import { authenticate } from "./auth.ts";

/** Contact lists: CRUD, paged contacts, and the streamed CSV upload that starts an import. */
export function listRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/lists", detail: { tags: ["lists"] } })
    .resolve(authenticate(deps))
    .post("/", ({ auth, body, set }) => {
      set.status = 201;
      return listView(createList(deps, auth.company.id, body.name));
    }, { body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }) }), detail: { summary: "Create a list" } })
    .get("/", ({ auth }) => listLists(deps.storage, auth.company.id).map(listView), { detail: { summary: "The company's lists" } })
    .get("/:id", ({ auth, params }) => {
      const list = getList(deps.storage, auth.company.id, params.id);
      if (!list) throw notFound("list");
      return listView(list);
    }, { detail: { summary: "One list with its contact count" } })
    .patch("/:id", ({ auth, params, body }) => listView(renameList(deps, auth.company.id, params.id, body.name)), {
      body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }) }),
      detail: { summary: "Rename a list" },
    })
    .delete("/:id", ({ auth, params, set }) => {
      deleteList(deps, auth.company.id, params.id);
      set.status = 202;
      return { ok: true };
    }, { detail: { summary: "Delete a list (its contacts are removed in the background)" } })
    .get("/:id/contacts", ({ auth, params, query }) => {
      if (!getList(deps.storage, auth.company.id, params.id)) throw notFound("list");
      const page = listContacts(deps.storage, auth.company.id, params.id, query.limit ?? 100, query.cursor);
      return { items: page.items, ...(page.next ? { next: page.next } : {}) };
    }, {
      query: t.Object({
        limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })),
        cursor: t.Optional(t.String({ maxLength: 40, description: "`next` of the previous page" })),
      }),
      detail: { summary: "A page of the list's contacts in phone order" },
    })
    .post("/:id/imports", async ({ auth, params, query, request, set }) => {
      if (!getList(deps.storage, auth.company.id, params.id)) throw notFound("list");
      const file = await saveUpload(request.body, request.headers.get("content-type") ?? "", deps.config.dataDir, deps.config.maxUploadBytes);
      const rec = createImport(deps, auth.company.id, params.id, { ...file, ownsFile: true }, query);
      set.status = 202;
      return { id: rec.id };
    }, {
      // The body is streamed to disk by saveUpload: Elysia must not read it. A parser returning a non-body
      // value ends Elysia's parse chain without touching the stream (`parse: "none"` is overridden by the
      // app's global onParse and then fails with 400 on text/csv).
      parse: () => true,
      query: t.Object({ phoneColumn: t.Optional(t.String({ maxLength: 200 })), defaultCountry: t.Optional(t.String({ minLength: 2, maxLength: 2 })) }),
      detail: { summary: "Upload a CSV (raw text/csv body or multipart field `file`) and queue its import" },
    });
}
