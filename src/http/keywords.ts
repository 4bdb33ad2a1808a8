import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { createKeyword, deleteKeyword } from "../services/keywords.ts";
import { listKeywords, type Keyword } from "../storage/keywords.ts";
import { authenticate } from "./auth.ts";

const KeywordInput = t.Object({
  keyword: t.String({ minLength: 1, maxLength: 50, description: "One word; matched case-insensitively against the whole trimmed reply" }),
  reply: t.String({ minLength: 1, maxLength: 1600, description: "Sent back once (exempt from quiet hours and the frequency cap)" }),
});

const view = (k: Keyword) => ({ id: k.id, keyword: k.keyword, reply: k.reply, createdAt: new Date(k.createdAt).toISOString() });

/** Reply keywords → auto-reply text. */
export function keywordRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/keywords", detail: { tags: ["compliance"] } })
    .resolve(authenticate(deps))
    .post("", async ({ auth, body, set }) => {
      set.status = 201;
      return view(await createKeyword(deps, auth.company.id, body));
    }, { body: KeywordInput, detail: { summary: "Add a reply keyword" } })
    .get("", ({ auth }) => ({ items: listKeywords(deps.storage, auth.company.id).map(view) }), { detail: { summary: "The company's keywords" } })
    .delete("/:id", async ({ auth, params }) => {
      await deleteKeyword(deps, auth.company.id, params.id);
      return { ok: true };
    }, { detail: { summary: "Delete a keyword" } });
}
