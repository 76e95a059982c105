import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "./hex.ts";
export const h = (b: Uint8Array): string => bytesToHex(sha256(b));
