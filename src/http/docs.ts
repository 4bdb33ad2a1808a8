import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
// File imports: a path into node_modules from source, a file embedded in the compiled binary.
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };

const SWAGGER_FILES: Record<string, string> = { "swagger-ui-bundle.js": swaggerBundle, "swagger-ui.css": swaggerCss };

/** The OpenAPI document at /api/openapi.json and Swagger UI at /api/docs, its assets served locally (works offline). */
export function docsRoutes() {
  return new Elysia()
    .get("/api/docs/assets/:file", ({ params }) => {
      const path = Object.hasOwn(SWAGGER_FILES, params.file) ? SWAGGER_FILES[params.file] : undefined;
      if (!path) return new Response("not found", { status: 404 });
      const type = params.file.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
      return new Response(Bun.file(path), { headers: { "content-type": type } });
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
