import { describe, expect, it } from 'vitest';
import { formatFigure, median } from './figure';

describe('bench figures', () => {
  it('prints `name: value unit (ratio …)`', () => {
    expect(formatFigure({ name: 'tor bootstrap', value: 12345, unit: 'ms' })).toBe('tor bootstrap: 12345 ms');
    expect(formatFigure({ name: 'x', value: 1.234, unit: 's', ratio: { value: 1.049, against: 'vs raw tor' } })).toBe(
      'x: 1.23 s (ratio 1.05 vs raw tor)',
    );
  });
  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
