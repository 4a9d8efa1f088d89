import { describe, expect, it } from 'vitest';
import { sparkline } from '../../src/ui/components/Sparkline.js';

describe('sparkline', () => {
  it('scales to the largest value shown, one cell per value, newest last', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▁▂▄█');
    expect(sparkline([8, 4, 2, 1], 4)).toBe('█▄▂▁');
  });
  it('keeps only the newest `width` values and rescales to them', () => {
    expect(sparkline([100, 1, 2, 4, 8], 4)).toBe('▁▂▄█');
  });
  it('a fixed max clamps larger values', () => {
    expect(sparkline([50, 100, 200], 3, 100)).toBe('▄██');
  });
  it('no data is a space, zero the lowest block; nothing to show is empty', () => {
    expect(sparkline([null, 0, 3], 3)).toBe(' ▁█');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
    expect(sparkline([1, 2], 0)).toBe('');
    expect(sparkline([], 5)).toBe('');
  });
});
