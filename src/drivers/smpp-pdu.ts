/**
 * Pure SMPP helpers for the `smpp` driver: addresses, encoding and concatenation of outgoing text,
 * the JSON we ingest for a deliver_sm, and its mapping back to our webhook events. No I/O here.
 */
import { randomInt } from "node:crypto";
import smpp from "smpp";
import { DriverError, type InboundPart, type ProviderStatus, type WebhookEvent } from "./driver.ts";
import { concatFromSar, concatFromUdh } from "./smpp-concat.ts";

const { consts, errors: ESME, gsmCoder, encodings } = smpp;

/** A source or destination address with its Type Of Number and Numbering Plan Indicator. */
export interface SmppAddress {
  addr: string;
  ton: number;
  npi: number;
}

/**
 * E.164 (`+15551234567`) → international/ISDN without the `+`; a sender with letters → alphanumeric;
 * a bare short number (short code) → unknown TON, ISDN plan.
 */
export function toSmppAddress(value: string): SmppAddress {
  if (value.startsWith("+")) return { addr: value.slice(1), ton: consts.TON.INTERNATIONAL, npi: consts.NPI.ISDN };
  if (/[^0-9]/.test(value)) return { addr: value, ton: consts.TON.ALPHANUMERIC, npi: consts.NPI.UNKNOWN };
  return { addr: value, ton: consts.TON.UNKNOWN, npi: consts.NPI.ISDN };
}

/** The reverse of `toSmppAddress`: an international number gets its `+` back. */
export function fromSmppAddress(addr: string, ton: number): string {
  return ton === consts.TON.INTERNATIONAL && /^[0-9]+$/.test(addr) ? `+${addr}` : addr;
}

/** One submit_sm's worth of text: the bytes, their data_coding and whether they start with a UDH. */
export interface SmppPart {
  dataCoding: number;
  message: Buffer;
  hasUdh: boolean;
}

const GSM_SINGLE = 160, GSM_PART = 153; // septets, sent unpacked (one per octet): the SMSC packs them
const UCS2_SINGLE = 140, UCS2_PART = 134; // octets: 70 / 67 UTF-16 code units

/**
 * Encodes a body as GSM 03.38 (data_coding 0, the SMSC default alphabet) when every character fits,
 * else as UCS-2 (data_coding 8), and splits long text into parts with an 8-bit-reference concatenation
 * UDH (IEI 0x00). Never splits a GSM escape pair or a UTF-16 surrogate pair across two parts.
 */
export function encodeParts(body: string): SmppPart[] {
  const gsm = encodings.ASCII.match(body);
  const bytes: Buffer = gsm ? gsmCoder.encode(body, 0x00) : Buffer.from(body, "utf16le").swap16();
  const dataCoding = gsm ? consts.ENCODING.SMSC_DEFAULT : consts.ENCODING.UCS2;
  if (bytes.length <= (gsm ? GSM_SINGLE : UCS2_SINGLE)) return [{ dataCoding, message: bytes, hasUdh: false }];
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    let end = Math.min(at + (gsm ? GSM_PART : UCS2_PART), bytes.length);
    if (end < bytes.length && gsm && bytes[end - 1] === 0x1b) end -= 1;
    if (end < bytes.length && !gsm && (bytes.readUInt16BE(end - 2) & 0xfc00) === 0xd800) end -= 2;
    chunks.push(bytes.subarray(at, end));
    at = end;
  }
  const ref = randomInt(256);
  return chunks.map((chunk, i) => ({
    dataCoding,
    message: Buffer.concat([Uint8Array.from([0x05, 0x00, 0x03, ref, chunks.length, i + 1]), chunk] as Uint8Array[]),
    hasUdh: true,
  }));
}

/**
 * Classifies a non-zero submit_sm_resp command_status.
 * Throttling statuses say "slow down"; address/content statuses are final; "not bound" and system
 * errors are safe to retry; anything unknown (incl. vendor-specific 0x400+) counts as a rejection.
 */
export function classifySubmitStatus(status: number): DriverError {
  const code = `0x${status.toString(16).padStart(4, "0")}`;
  const kind = ((): DriverError["kind"] => {
    switch (status) {
      case ESME.ESME_RTHROTTLED:
      case ESME.ESME_RMSGQFUL:
        return "throttled";
      case ESME.ESME_RINVBNDSTS:
      case ESME.ESME_RSYSERR:
      case ESME.ESME_RX_T_APPN:
        return "transient";
      case ESME.ESME_RINVPASWD:
      case ESME.ESME_RINVSYSID:
      case ESME.ESME_RBINDFAIL:
      case ESME.ESME_RSERTYPUNAUTH:
      case ESME.ESME_RINVSYSTYP:
        return "config";
      default:
        return "rejected";
    }
  })();
  return new DriverError(kind, `SMSC answered submit_sm with command_status ${code}`, code);
}

/** Why an SMSC refuses a bind, in words an operator acts on (SMPP v3.4 §5.1.3). */
const BIND_REFUSALS: Record<number, string> = {
  [ESME.ESME_RBINDFAIL]: "bind failed",
  [ESME.ESME_RINVPASWD]: "invalid password",
  [ESME.ESME_RINVSYSID]: "invalid system ID",
  [ESME.ESME_RINVSYSTYP]: "invalid system type",
};

/**
 * Classifies a bind_transceiver_resp error: refused credentials are `config` (the account needs fixing; the
 * session still retries, the SMSC may be fixed instead), anything else `transient`. The message names no secret.
 */
export function classifyBindStatus(status: number): DriverError {
  const code = `0x${status.toString(16).padStart(4, "0")}`;
  const why = BIND_REFUSALS[status];
  return new DriverError(why ? "config" : "transient", why ? `bind refused: ${why}` : `bind refused (command_status ${code})`, code);
}

/** What we ingest for one deliver_sm: its fields as received, text already decoded. Stored raw, parsed later. */
export interface DeliverSmRecord {
  pdu: "deliver_sm";
  /** Ours, made at ingest: the provider id of a mobile-originated message (SMPP gives none). */
  id: string;
  sourceAddr: string;
  sourceTon: number;
  destinationAddr: string;
  destTon: number;
  esmClass: number;
  dataCoding: number;
  text: string;
  receiptedMessageId?: string;
  messageState?: number;
  networkErrorCode?: string;
  /** Set when this deliver_sm is one part of a concatenated message (UDH or SAR TLVs): the text is that part's only. */
  part?: InboundPart;
  receivedAt: number;
}

/**
 * Builds the record for a deliver_sm PDU as the `smpp` package decoded it (UDH already split off the text,
 * see smpp-concat.ts). The part number comes from the UDH of the field that carried the text, else the SAR TLVs.
 */
export function toDeliverSmRecord(pdu: Record<string, any>, id: string, receivedAt: number): DeliverSmRecord {
  const payload = pdu.message_payload?.message ?? pdu.message_payload;
  const short = pdu.short_message?.message ?? pdu.short_message;
  const fromPayload = typeof payload === "string" && payload !== "";
  const text = fromPayload ? payload : typeof short === "string" ? short : "";
  const part = concatFromUdh((fromPayload ? pdu.message_payload : pdu.short_message)?.udh) ?? concatFromSar(pdu);
  const nec: Buffer | undefined = Buffer.isBuffer(pdu.network_error_code) ? pdu.network_error_code : undefined;
  return {
    pdu: "deliver_sm",
    id,
    sourceAddr: String(pdu.source_addr ?? ""),
    sourceTon: Number(pdu.source_addr_ton ?? 0),
    destinationAddr: String(pdu.destination_addr ?? ""),
    destTon: Number(pdu.dest_addr_ton ?? 0),
    esmClass: Number(pdu.esm_class ?? 0),
    dataCoding: Number(pdu.data_coding ?? 0),
    text,
    receiptedMessageId: pdu.receipted_message_id || undefined,
    messageState: typeof pdu.message_state === "number" ? pdu.message_state : undefined,
    networkErrorCode: nec ? nec.toString("hex") : undefined,
    ...(part ? { part } : {}),
    receivedAt,
  };
}

const STAT: Record<string, ProviderStatus> = {
  DELIVRD: "delivered", ACCEPTD: "sent", ENROUTE: "sent", UNKNOWN: "sent",
  EXPIRED: "undelivered", UNDELIV: "undelivered", DELETED: "failed", REJECTD: "failed", SKIPPED: "failed",
};
const STATE: Record<number, ProviderStatus> = { 1: "sent", 2: "delivered", 3: "undelivered", 4: "failed", 5: "undelivered", 6: "sent", 7: "sent", 8: "failed", 9: "failed" };

/** Reads `key:value` fields from an SMPP v3.4 Appendix B receipt text (`submit date` and `done date` have a space). */
export function parseReceiptText(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const re = /(id|sub|dlvrd|submit date|done date|stat|err):(\S*)/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) fields[m[1]!.toLowerCase()] = m[2]!;
  return fields;
}

/**
 * Turns an ingested deliver_sm into an event. The TLVs (receipted_message_id, message_state) win over the receipt text when both exist.
 * Receipt sample (SMPP v3.4 Appendix B, https://smpp.org/SMPP_v3_4_Issue1_2.pdf):
 *   `id:0123456789 sub:001 dlvrd:001 submit date:2601051500 done date:2601051501 stat:DELIVRD err:000 text:Hello`
 * @throws Error when the record is not a receipt we can tie to a message.
 */
export function deliverSmToEvent(rec: DeliverSmRecord): WebhookEvent {
  // esm_class bits 2-5 give the message type: 0 is a plain (mobile-originated) message, 0x04 an MC receipt,
  // 0x20 an intermediate notification. Some SMSCs send receipts as type 0 with only the TLV.
  const isReceipt = (rec.esmClass & 0x3c) !== 0 || rec.receiptedMessageId !== undefined;
  if (!isReceipt) {
    return {
      type: "inbound", providerId: rec.id,
      from: fromSmppAddress(rec.sourceAddr, rec.sourceTon), to: fromSmppAddress(rec.destinationAddr, rec.destTon),
      body: rec.text, at: rec.receivedAt, ...(rec.part ? { part: rec.part } : {}),
    };
  }
  const f = parseReceiptText(rec.text);
  const providerId = rec.receiptedMessageId ?? f.id;
  if (!providerId) throw new Error("SMPP receipt without a message id");
  const status = (rec.messageState !== undefined ? STATE[rec.messageState] : undefined) ?? STAT[(f.stat ?? "").toUpperCase()];
  if (!status) throw new Error(`SMPP receipt with an unknown state: ${f.stat ?? rec.messageState}`);
  const err = f.err && !/^0+$/.test(f.err) ? f.err : rec.networkErrorCode;
  return {
    type: "status", providerId, status, at: rec.receivedAt,
    ...(status !== "delivered" && err ? { errorCode: err } : {}),
    ...(status !== "delivered" && f.stat ? { errorMessage: f.stat } : {}),
  };
}
