/**
 * Shields-style flat badges (`uptime | 99.95%`) as self-contained SVG, for READMEs and status
 * pages. Text widths are estimated from a Verdana-like advance table, as shields.io does, so the
 * badge needs no fonts or canvas on the server.
 */

const NARROW = new Set([..."fijlrt.,:;!|'()[] "]);
const WIDE = new Set([...'mwMW%@']);

function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += NARROW.has(ch) ? 4 : WIDE.has(ch) ? 10 : /[A-Z0-9]/.test(ch) ? 7.5 : 6.5;
  return Math.ceil(w);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

export const BADGE_COLORS = {
  green: '#3fb950',
  yellowgreen: '#a4a61d',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  grey: '#9f9f9f',
} as const;

/** The colour for an uptime ratio: green at three nines, red below 95 %, grey without data. */
export function uptimeColor(ratio: number | null): string {
  if (ratio === null) return BADGE_COLORS.grey;
  if (ratio >= 0.999) return BADGE_COLORS.green;
  if (ratio >= 0.99) return BADGE_COLORS.yellowgreen;
  if (ratio >= 0.97) return BADGE_COLORS.yellow;
  if (ratio >= 0.95) return BADGE_COLORS.orange;
  return BADGE_COLORS.red;
}

/** `99.95%`, never rounding a shortfall up to 100 %. */
export function formatUptime(ratio: number | null): string {
  if (ratio === null) return 'no data';
  if (ratio >= 1) return '100%';
  const pct = Math.floor(ratio * 10_000) / 100;
  return `${pct.toFixed(pct >= 99 ? 2 : 1)}%`;
}

export function badgeSvg(label: string, message: string, color: string): string {
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${m}"><title>${l}: ${m}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${color}"/><rect width="${w}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lw / 2}" y="14">${l}</text><text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${lw + mw / 2}" y="14">${m}</text></g></svg>`;
}
