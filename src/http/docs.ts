import { dirname, join } from "node:path";
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";

const SWAGGER_DIR = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

/** The OpenAPI document at /api/openapi.json and Swagger UI at /api/docs, its assets served locally (works offline). */
export function docsRoutes() {
  return new Elysia()
    .get("/api/docs/assets/:file", ({ params }) => {
      if (!["swagger-ui-bundle.js", "swagger-ui.css"].includes(params.file)) return new Response("not found", { status: 404 });
      return new Response(Bun.file(join(SWAGGER_DIR, params.file)));
    }, { detail: { hide: true } })
    .use(
      openapi({
        path: "/api/docs",
        specPath: "/api/openapi.json",
        provider: "swagger-ui",
        swagger: { cdn: "/api/docs/assets/swagger-ui-bundle.js", theme: "/api/docs/assets/swagger-ui.css" },
        documentation: {
          info: { title: "Pombo API", version: "1", description: "Self-hosted SMS campaigns. Authenticate with the session cookie or `Authorization: Bearer <token>`." },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
        },
      }),
    );
}
