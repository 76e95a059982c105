/**
 * Parameters for the consensus-math tests: the mainnet preset (the
 * reference's constants), on a test network. The vectors in test/vectors were
 * computed with these constants.
 */
import { mainnetParams, QUADRATIC_DOMAIN } from "../../../core/params.ts";
import type { ChainParams, IncentiveConfig } from "../../../core/types.ts";

/** reference incentives.py defaults: margin 0.10, bonus threshold 0.05, minimum 0.3, maximum bonus 1.2 */
export const testIncentive: IncentiveConfig = QUADRATIC_DOMAIN.incentive;

export const testParams: ChainParams = mainnetParams("doin-test");
