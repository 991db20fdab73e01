/**
 * Renders rows as an aligned plain-text table (first row is the header).
 *
 * @example
 * renderTable([['metric', 'before'], ['params', '61,706']]);
 */
export function renderTable(rows: readonly (readonly string[])[], align: ('left' | 'right')[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => ((align[i] ?? (i === 0 ? 'left' : 'right')) === 'left' ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/**
 * Formats a count with thousands separators, or compactly (`1.2M`).
 *
 * @example
 * formatCount(1234567); // '1,234,567'
 * formatCount(1234567, true); // '1.23M'
 */
export function formatCount(n: number, compact = false): string {
  if (!Number.isFinite(n)) return '–';
  if (!compact) return Math.round(n).toLocaleString('en-US');
  const units = ['', 'k', 'M', 'G', 'T'];
  let u = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0)}${units[u]}`;
}

/**
 * Formats bytes as B, KiB, MiB.
 *
 * @example
 * formatBytes(2048); // '2.0 KiB'
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
