/** What the geo-prefix table tells about a phone number (English names; empty string when unknown). */
export interface GeoInfo {
  country: string;
  region: string;
  city: string;
  timezone: string;
  carrier: string;
}

/**
 * A node of the geo-prefix table, resolved at build time for its own digits:
 * [hasLonger (1 when longer prefixes start with these digits), region, city, timezone, carrier].
 */
export type GeoNode = [0 | 1, string, string, string, string];

/**
 * Splits a libphonenumber geocoding description into city and region: "Bay City, MI" and
 * "Kolkata, West Bengal" (comma), "Imperatriz - MA" (Brazil's dash). A bare name is a state or
 * province for NANP area codes ("New Jersey", "Ontario") and a place elsewhere ("London", "Berlin").
 */
export function splitGeoDescription(isNanp: boolean, description: string): { region: string; city: string } {
  const comma = description.lastIndexOf(", ");
  if (comma > 0) return { city: description.slice(0, comma), region: description.slice(comma + 2) };
  const dash = description.lastIndexOf(" - ");
  if (dash > 0) return { city: description.slice(0, dash), region: description.slice(dash + 3) };
  return isNanp ? { region: description, city: "" } : { region: "", city: description };
}

/** The first time zone of libphonenumber's `&`-joined list ("" when unknown: its "Etc/Unknown" too). */
export function firstTimezone(zones: string | undefined): string {
  const first = zones ? zones.split("&")[0]! : "";
  return first === "Etc/Unknown" ? "" : first;
}
