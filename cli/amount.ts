/**
 * Decimal text ⇄ the protocol's integers, exactly (no float on the way):
 * coin amounts in DOIN ⇄ base units (COIN_UNIT per DOIN), and Fixed values
 * (performances, reputation) ⇄ micro-units (FIXED_ONE per 1.0).
 */
import { COIN_UNIT, FIXED_ONE } from "../core/params.ts";
import { MAX_AMOUNT } from "../core/tx.ts";
import type { Amount, Fixed } from "../core/types.ts";
import { usage } from "./errors.ts";

/** Decimal places of a unit that is a power of ten (10^8 → 8). */
function placesOf(unit: bigint): number {
  const places = unit.toString().length - 1;
  if (10n ** BigInt(places) !== unit) throw new RangeError(`unit ${unit} is not a power of ten`);
  return places;
}

const COIN_PLACES = placesOf(COIN_UNIT);
const FIXED_PLACES = placesOf(FIXED_ONE);

function format(value: bigint, unit: bigint, places: number): string {
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const whole = abs / unit;
  const frac = (abs % unit).toString().padStart(places, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac === "" ? "" : `.${frac}`}`;
}

/** Base units as DOIN: 150000000n → "1.5". */
export function formatCoin(units: Amount | string): string {
  return format(BigInt(units), COIN_UNIT, COIN_PLACES);
}

/** Micro-units as a real: −12345678n → "-12.345678". */
export function formatFixed(value: Fixed | string): string {
  return format(BigInt(value), FIXED_ONE, FIXED_PLACES);
}

/**
 * A positive amount of DOIN written in decimal ("1.5", "0.00000001", "20")
 * as base units. Refuses signs, exponents, more decimals than the coin has,
 * zero, and amounts above the protocol's bound.
 */
export function parseCoin(text: string, what = "amount"): Amount {
  const t = text.trim();
  const m = new RegExp(`^(0|[1-9][0-9]{0,18})(?:\\.([0-9]{1,${COIN_PLACES}}))?$`).exec(t);
  if (m === null) {
    const hint = /^[0-9]*\.[0-9]+$/.test(t) ? ` (at most ${COIN_PLACES} decimals)` : "";
    throw usage(`${what}: ${JSON.stringify(text)} is not an amount of DOIN${hint}`, `write it in DOIN with a dot for decimals, e.g. 1.5 (1 DOIN = ${COIN_UNIT} base units)`);
  }
  const units = BigInt(m[1] as string) * COIN_UNIT + BigInt((m[2] ?? "").padEnd(COIN_PLACES, "0") || "0");
  if (units === 0n) throw usage(`${what}: must be more than 0`);
  if (units > MAX_AMOUNT) throw usage(`${what}: ${text} DOIN is more than any amount the protocol carries`);
  return units;
}

/** A fee: like parseCoin, but zero is allowed. */
export function parseFee(text: string): Amount {
  if (/^0+(\.0+)?$/.test(text.trim())) return 0n;
  return parseCoin(text, "fee");
}
