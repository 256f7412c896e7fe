/** One measured figure. `ratio` compares it with a baseline measured in the same run (never across runs). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  ratio?: { value: number; against: string };
}

export interface Bench {
  /** What the benchmark measures, shown before its figures. */
  title: string;
  run: (signal: AbortSignal) => Promise<Figure[]>;
}

export function formatFigure(f: Figure): string {
  const value = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(f.value < 10 ? 2 : 1);
  const ratio = f.ratio === undefined ? '' : ` (ratio ${f.ratio.value.toFixed(2)} ${f.ratio.against})`;
  return `${f.name}: ${value} ${f.unit}${ratio}`;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid];
  const lo = s[s.length % 2 === 0 ? mid - 1 : mid];
  if (hi === undefined || lo === undefined) throw new RangeError('median of an empty list');
  return (hi + lo) / 2;
}
