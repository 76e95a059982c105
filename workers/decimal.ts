/** Exact decimals of the API's scaled integers (Fixed micro-units, coin base units), from their decimal strings. */

/** "-417123456", 6 → "-417.123456" (every digit kept). */
export function scaledDecimal(text: string, scale: number): string {
  const negative = text.startsWith("-");
  const digits = (negative ? text.slice(1) : text).padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** As scaledDecimal, without trailing zeros: "5000000000", 8 → "50"; "11", 8 → "0.00000011". */
export function trimmedDecimal(text: string, scale: number): string {
  return scaledDecimal(text, scale).replace(/\.?0+$/, "");
}
