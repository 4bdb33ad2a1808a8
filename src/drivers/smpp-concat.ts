/**
 * Concatenated mobile-originated SMS as an SMSC delivers them: one deliver_sm per part, numbered either by a
 * concatenation information element in the UDH (3GPP TS 23.040 §9.2.3.24.1 and .8) or by the SAR TLVs
 * (SMPP v3.4 §5.3.2.22–24). Pure: reads what the `smpp` package decoded, joins decoded texts.
 *
 * The `smpp` package already splits the UDH off when esm_class has UDHI (0x40) set: `short_message` (or
 * `message_payload`) arrives as `{ udh: [IE, ...], message }`, each IE a Buffer `[IEI, length, ...data]`, and
 * `message` decoded per data_coding from the octets after the UDH (GSM 03.38 one septet per octet, as
 * `encodeParts` sends them; UCS-2 big-endian; latin1). So a part's text never holds UDH bytes; what is left to
 * us is the part number, and joining: a GSM escape (0x1B) or a UTF-16 surrogate pair split across two parts.
 */
import smpp from "smpp";
import type { InboundPart } from "./driver.ts";

const IEI_CONCAT_8BIT = 0x00;
const IEI_CONCAT_16BIT = 0x08;

/**
 * Reads the concatenation IE (8-bit reference, IEI 0x00, or 16-bit, IEI 0x08) from a decoded UDH.
 * Returns undefined when there is none or it is unusable (TS 23.040: a part number of 0 or above the total
 * means the IE is ignored); a "set" of one part is a plain message.
 */
export function concatFromUdh(ies: unknown): InboundPart | undefined {
  if (!Array.isArray(ies)) return undefined;
  for (const ie of ies) {
    if (!(ie instanceof Uint8Array)) continue;
    if (ie[0] === IEI_CONCAT_8BIT && ie[1] === 3 && ie.length >= 5) return checked(ie[2]!, ie[3]!, ie[4]!);
    if (ie[0] === IEI_CONCAT_16BIT && ie[1] === 4 && ie.length >= 6) return checked((ie[2]! << 8) | ie[3]!, ie[4]!, ie[5]!);
  }
  return undefined;
}

/** Reads sar_msg_ref_num / sar_total_segments / sar_segment_seqnum; undefined unless all three are usable. */
export function concatFromSar(pdu: Record<string, unknown>): InboundPart | undefined {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = pdu;
  if (typeof ref !== "number" || typeof total !== "number" || typeof seq !== "number") return undefined;
  return checked(ref, total, seq);
}

function checked(ref: number, total: number, seq: number): InboundPart | undefined {
  return total >= 2 && seq >= 1 && seq <= total ? { ref, total, seq } : undefined;
}

/** GSM 03.38 extension table as decoded text: the character after an escape → the character it stands for. */
const GSM_EXTENSION: Record<string, string> = smpp.gsmCoder.getCoder(0x00).extCharListDec;

/**
 * Joins the decoded texts of a message's parts, in order. Each part was decoded alone, so an escape pair
 * split across a boundary came out as a trailing ESC plus its plain character (e.g. "\x1B" + "e" for "€"):
 * mended here. Half a UTF-16 surrogate pair at either side of a boundary needs nothing: JS strings keep it.
 */
export function joinPartTexts(texts: string[]): string {
  let out = "";
  for (const text of texts) {
    const ext = out.endsWith("\x1B") ? GSM_EXTENSION[text[0] ?? ""] : undefined;
    out = ext ? out.slice(0, -1) + ext + text.slice(1) : out + text;
  }
  return out;
}
