/**
 * Finality rules (reference doin-core finality.py, notes §2.10), as pure
 * functions of heights. Fork choice (fork-choice.ts) applies them.
 *
 * - Depth finality: once the head is at height h, the block at h − depth on the
 *   head's chain is final (reference depth 6).
 * - Checkpoint finality: an external checkpoint (height → hash) is final as
 *   soon as the head's chain reaches it; blocks conflicting with it are refused.
 * - A reorganization may revert blocks above the finalized height only: its
 *   common ancestor must be at or above the finalized height. Fork choice
 *   refuses a block whose chain meets the finalized chain below the finalized
 *   block (isReorgAllowed) and, when its parent is unknown, a block at or
 *   below the finalized height (isAtOrBelowFinality). (The reference's
 *   `height − depth > finalized_height` also refused a reorg whose common
 *   ancestor is the finalized block itself, which reverts nothing final.)
 */
/** Height that depth finality makes final when the head is at `headHeight` (never below 0). */
export function finalizedHeightFor(headHeight: number, depth: number): number {
  return Math.max(0, headHeight - depth);
}

/** Whether a reorganization whose branches meet at `commonAncestorHeight` leaves the finalized block in place. */
export function isReorgAllowed(commonAncestorHeight: number, finalizedHeight: number): boolean {
  return commonAncestorHeight >= finalizedHeight;
}

/**
 * Whether a block at `height` is at or below the finalized height: such a
 * block cannot descend from the finalized block (its chain would meet the
 * finalized chain below the finalized block, a reorg that isReorgAllowed
 * refuses).
 */
export function isAtOrBelowFinality(height: number, finalizedHeight: number): boolean {
  return height <= finalizedHeight;
}

/** Highest height in `sortedHeights` (ascending) that is ≤ `headHeight`, or −1 when there is none. */
export function checkpointHeightFor(headHeight: number, sortedHeights: readonly number[]): number {
  let lo = 0;
  let hi = sortedHeights.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sortedHeights[mid] as number) <= headHeight) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? -1 : (sortedHeights[lo - 1] as number);
}

/** The height a head at `headHeight` finalizes: the higher of depth finality and the highest checkpoint reached. */
export function finalityTarget(headHeight: number, depth: number, sortedCheckpointHeights: readonly number[]): number {
  return Math.max(finalizedHeightFor(headHeight, depth), checkpointHeightFor(headHeight, sortedCheckpointHeights));
}
