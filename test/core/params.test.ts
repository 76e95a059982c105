import { expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../core/params.ts";
it("has a protocol version", () => { expect(PROTOCOL_VERSION).toBe(1); });
