import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { notFound } from "../domain/errors.ts";
import { importView } from "../services/imports.ts";
import { getImport, importErrors } from "../storage/imports.ts";
import { authenticate } from "./auth.ts";

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** Import progress and its rejected rows. */
export function importRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/imports", detail: { tags: ["lists"] } })
    .resolve(authenticate(deps))
    .get("/:id", ({ auth, params }) => {
      const rec = getImport(deps.storage, auth.company.id, params.id);
      if (!rec) throw notFound("import");
      return importView(rec);
    }, { detail: { summary: "Status and live counters of an import" } })
    .get("/:id/errors.csv", ({ auth, params }) => {
      if (!getImport(deps.storage, auth.company.id, params.id)) throw notFound("import");
      const rows = importErrors(deps.storage, auth.company.id, params.id);
      const encoder = new TextEncoder();
      // Streamed page by page: an import of a bad 50M-row file has 50M error rows.
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(encoder.encode("line,reason,raw\n")),
        pull: (c) => {
          let out = "";
          for (let i = 0; i < 1000; i++) {
            const next = rows.next();
            if (next.done) {
              if (out) c.enqueue(encoder.encode(out));
              return c.close();
            }
            out += next.value.map(csvCell).join(",") + "\n";
          }
          c.enqueue(encoder.encode(out));
        },
      });
      return new Response(stream, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="import-${params.id}-errors.csv"` } });
    }, { detail: { summary: "Rejected rows as CSV: line,reason,raw" } });
}
