/** A small `Accept` negotiation: which of the offered media types the client prefers. */

type MediaRange = { type: string; subtype: string; q: number; index: number };

function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((part, index) => {
    const [range = '', ...params] = part.trim().split(';');
    const [type, subtype] = range.trim().toLowerCase().split('/');
    if (!type || !subtype) return [];
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return Number.isFinite(q) ? [{ type, subtype, q: Math.min(Math.max(q, 0), 1), index }] : [];
  });
}

/** How well one offered type matches: the most specific range decides (RFC 9110 §12.5.1). */
function matchOf(offer: string, ranges: MediaRange[]) {
  const [type, subtype] = offer.split('/');
  let best: { q: number; specificity: number; index: number } | null = null;
  for (const r of ranges) {
    const specificity =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === '*'
          ? 1
          : r.type === '*' && r.subtype === '*'
            ? 0
            : -1;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity) best = { q: r.q, specificity, index: r.index };
  }
  return best ?? { q: 0, specificity: -1, index: Infinity };
}

/**
 * The preferred type among `offers` (first offer is the default): highest q wins; on a tie, the
 * more specific range, then the one listed first. No or unparsable `Accept` → the default.
 */
export function preferredMediaType<T extends string>(
  acceptHeader: string | undefined,
  offers: readonly [T, ...T[]],
): T {
  const ranges = acceptHeader ? parseAccept(acceptHeader) : [];
  let chosen = offers[0];
  if (ranges.length === 0) return chosen;
  let chosenMatch = matchOf(chosen, ranges);
  for (const offer of offers.slice(1)) {
    const m = matchOf(offer, ranges);
    const better =
      m.q > chosenMatch.q ||
      (m.q === chosenMatch.q &&
        m.q > 0 &&
        (m.specificity > chosenMatch.specificity ||
          (m.specificity === chosenMatch.specificity && m.index < chosenMatch.index)));
    if (better) {
      chosen = offer;
      chosenMatch = m;
    }
  }
  return chosen;
}
