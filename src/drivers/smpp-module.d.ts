/** The `smpp` package ships no types; the driver wraps it in typed helpers (smpp-pdu.ts, smpp-session.ts). */
declare module "smpp";
