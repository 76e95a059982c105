/**
 * A domain's chain rules from JSON: how a network (the node's DOMAINS
 * setting) or a plugin package (`"doin": {…, "chain": {…}}`) declares a
 * domain beyond the built-in quadratic one. Fixed-point values are decimal
 * strings of micro-units (10⁶ = 1.0), as everywhere on the wire; what may be
 * left out takes the quadratic domain's value.
 *
 *     {"id": "sphere", "higherIsBetter": true, "epsilon": "1000",
 *      "toleranceAbs": "500000", "toleranceRelPpm": 50000,
 *      "initialChampion": "-100000000"}
 *
 * `maxParamsBytes` (16 … 65,536) bounds a reveal's params; `optimum` (a
 * Fixed, optional) is the domain's known best performance, for reports.
 *
 * The whole list becomes part of the chain parameters, so the genesis hash
 * commits to it: every node of a network must be given the same domains.
 */
import { err, ok, type Result } from "./errors.ts";
import { QUADRATIC_DOMAIN } from "./params.ts";
import type { DomainConfig, Fixed, IncentiveConfig } from "./types.ts";

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const FIXED = /^-?(0|[1-9][0-9]{0,24})$/;
const AMOUNT = /^(0|[1-9][0-9]{0,17})$/;
const PPM = 1_000_000;
const KEYS = ["id", "higherIsBetter", "epsilon", "bond", "weight", "toleranceAbs", "toleranceRelPpm", "quorumFractionPpm", "initialChampion", "maxParamsBytes", "incentive", "optimum"];
const INCENTIVE_KEYS = ["toleranceMarginPpm", "bonusThresholdPpm", "minRewardFractionPpm", "maxBonusPpm"] as const;

class Bad extends Error {}

function fixed(v: unknown, key: string, min: Fixed | null, fallback?: Fixed): Fixed {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string" || !FIXED.test(v)) throw new Bad(`${key}: expected a decimal string of micro-units (10^6 = 1.0)`);
  const n = BigInt(v);
  if (min !== null && n < min) throw new Bad(`${key}: must be at least ${min}`);
  return n;
}

function amount(v: unknown, key: string, fallback: bigint): bigint {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !AMOUNT.test(v)) throw new Bad(`${key}: expected a decimal string of base units (10^8 = 1 DOIN)`);
  return BigInt(v);
}

function int(v: unknown, key: string, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new Bad(`${key}: expected an integer from ${min} to ${max}`);
  return v;
}

function incentiveOf(v: unknown): IncentiveConfig {
  if (v === undefined) return QUADRATIC_DOMAIN.incentive;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Bad("incentive: expected an object");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(INCENTIVE_KEYS as readonly string[]).includes(k)) throw new Bad(`incentive.${k}: unknown field`);
  const d = QUADRATIC_DOMAIN.incentive;
  return {
    toleranceMarginPpm: int(o["toleranceMarginPpm"], "incentive.toleranceMarginPpm", 0, PPM, d.toleranceMarginPpm),
    bonusThresholdPpm: int(o["bonusThresholdPpm"], "incentive.bonusThresholdPpm", 0, PPM, d.bonusThresholdPpm),
    minRewardFractionPpm: int(o["minRewardFractionPpm"], "incentive.minRewardFractionPpm", 0, PPM, d.minRewardFractionPpm),
    maxBonusPpm: int(o["maxBonusPpm"], "incentive.maxBonusPpm", PPM, 2 * PPM, d.maxBonusPpm),
  };
}

/** One domain's rules, checked field by field (MALFORMED names the field). */
export function parseDomainConfig(value: unknown): Result<DomainConfig> {
  try {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Bad("expected an object");
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new Bad(`${k}: unknown field`);
    const id = o["id"];
    if (typeof id !== "string" || !ID.test(id)) throw new Bad("id: expected 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit");
    if (typeof o["higherIsBetter"] !== "boolean") throw new Bad("higherIsBetter: expected true or false");
    const optimum = o["optimum"] === undefined ? {} : { optimum: fixed(o["optimum"], "optimum", null) };
    return ok({
      id,
      higherIsBetter: o["higherIsBetter"],
      epsilon: fixed(o["epsilon"], "epsilon", 1n),
      bond: amount(o["bond"], "bond", QUADRATIC_DOMAIN.bond),
      weight: fixed(o["weight"], "weight", 1n, QUADRATIC_DOMAIN.weight),
      toleranceAbs: fixed(o["toleranceAbs"], "toleranceAbs", 0n),
      toleranceRelPpm: int(o["toleranceRelPpm"], "toleranceRelPpm", 0, PPM, QUADRATIC_DOMAIN.toleranceRelPpm),
      // more than half must agree, or two disjoint halves could both decide
      quorumFractionPpm: int(o["quorumFractionPpm"], "quorumFractionPpm", PPM / 2 + 1, PPM, QUADRATIC_DOMAIN.quorumFractionPpm),
      initialChampion: fixed(o["initialChampion"], "initialChampion", null),
      maxParamsBytes: int(o["maxParamsBytes"], "maxParamsBytes", 16, 65_536, QUADRATIC_DOMAIN.maxParamsBytes),
      incentive: incentiveOf(o["incentive"]),
      ...optimum,
    });
  } catch (e) {
    if (e instanceof Bad) return err("MALFORMED", `domain ${typeof (value as { id?: unknown } | null)?.id === "string" ? (value as { id: string }).id : "?"}: ${e.message}`);
    throw e;
  }
}

/** A list of domains (the DOMAINS setting): each valid, ids distinct and none the built-in quadratic. */
export function parseDomainList(value: unknown): Result<DomainConfig[]> {
  if (!Array.isArray(value)) return err("MALFORMED", "domains: expected a JSON array of domain objects");
  const out: DomainConfig[] = [];
  for (const v of value) {
    const d = parseDomainConfig(v);
    if (!d.ok) return d;
    if (d.value.id === QUADRATIC_DOMAIN.id || out.some((x) => x.id === d.value.id)) return err("MALFORMED", `domain ${d.value.id}: declared twice`);
    out.push(d.value);
  }
  return ok(out);
}
