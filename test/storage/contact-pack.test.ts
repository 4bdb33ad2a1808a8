import { expect, test } from "bun:test";
import { unpack } from "msgpackr";
import { ContactPacker, type GeoFields } from "../../src/storage/contact-pack.ts";

const geo: GeoFields = { country: "BR", region: "São Paulo", city: "São Paulo", timezone: "America/Sao_Paulo", carrier: "Vivo" };

/** Strings whose UTF-8 length sits on each side of msgpack's str header sizes (31/32, 255/256, 65535/65536 bytes). */
function edgeStrings(): string[] {
  const out = ["", "a", "ção", "東京", "👋🏽"];
  for (const bytes of [31, 32, 255, 256, 65_535, 65_536]) {
    out.push("x".repeat(bytes));
    out.push("é".repeat(Math.floor(bytes / 2)) + "x".repeat(bytes % 2)); // 2 bytes a char: the header outgrows s.length's
    out.push("東".repeat(Math.floor(bytes / 3)) + "x".repeat(bytes % 3)); // 3 bytes a char
  }
  return out;
}

test("packed contacts decode as msgpack to {v, fields, geo}, whatever the text and length of each field", () => {
  const fields = ["name", "phone", "note"];
  const packer = new ContactPacker(fields, 1);
  const rows = edgeStrings().map((s, i) => [s, "+5511999990000", `${i}:${s}`]);
  const ends: number[] = [];
  for (const row of rows) {
    packer.add(row, geo);
    ends.push(packer.length);
  }
  const bytes = packer.view();
  rows.forEach((row, i) => {
    const value = unpack(bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
    expect(value).toEqual({ v: 1, fields: { name: row[0], note: row[2] }, geo });
  });
});
