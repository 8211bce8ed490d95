/** Plain-text tables for the terminal: a header, then right-aligned cells. */

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((row) => row.map((cell) => format(cell)));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    row.map((cell, column) => cell.padStart(widths[column]!)).join('  ');
  return [
    line(headers),
    line(widths.map((width) => '-'.repeat(width))),
    ...cells.map(line),
  ]
    .map((text) => `  ${text}`)
    .join('\n');
}

function format(cell: string | number): string {
  if (typeof cell === 'string') {
    return cell;
  }
  if (Number.isNaN(cell)) {
    return '-';
  }
  return Number.isInteger(cell) ? cell.toLocaleString('en-US') : cell.toFixed(2);
}
