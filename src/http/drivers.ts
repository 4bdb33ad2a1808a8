import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { authenticate } from "./auth.ts";

/** `GET /api/v1/drivers`: every registered driver with its config fields, for the UI's account form. */
export function driverRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["accounts"] } })
    .resolve(authenticate(deps))
    .get("/drivers", () =>
      deps.drivers.list().map((d) => ({
        name: d.name,
        label: d.label,
        fields: d.fields.map((f) => ({ name: f.name, label: f.label, secret: f.secret, required: f.required, type: f.type, help: f.help })),
      })), { detail: { summary: "Drivers and their config fields (secret fields are write-only)" } });
}
