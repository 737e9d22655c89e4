import { describe, expect, it } from 'vitest';
import { BatchLoader, BatchWriter } from './coalesce.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchLoader', () => {
  it('loads keys asked for in the same turn with one call, and answers each caller', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, string>(async (keys) => {
      calls.push([...keys]);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
    });
    const out = await Promise.all(['a', 'b', 'a', 'missing'].map((k) => loader.load(k)));
    expect(out).toEqual(['A', 'B', 'A', undefined]);
    // Duplicates are asked for once.
    expect(calls).toEqual([['a', 'b', 'missing']]);
  });

  it('keys asked for while a load runs go into the next one; a failure rejects only its own callers', async () => {
    const calls: string[][] = [];
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loader = new BatchLoader<string, number>(async (keys) => {
      calls.push([...keys]);
      if (calls.length === 1) await gate;
      if (keys.includes('bad')) throw new Error('no such table');
      return new Map(keys.map((k) => [k, k.length]));
    });
    const first = loader.load('one');
    await tick();
    const later = [loader.load('three'), loader.load('bad')];
    await tick();
    await tick();
    expect(calls).toEqual([['one']]);
    release();
    expect(await first).toBe(3);
    await expect(later[0]).rejects.toThrow('no such table');
    await expect(later[1]).rejects.toThrow('no such table');
    expect(calls).toEqual([['one'], ['three', 'bad']]);
    expect(await loader.load('again')).toBe(5);
  });

  it('splits a turn with more keys than its maximum', async () => {
    const sizes: number[] = [];
    const loader = new BatchLoader<number, number>(async (keys) => {
      sizes.push(keys.length);
      return new Map(keys.map((k) => [k, k * 2]));
    }, 10);
    const out = await Promise.all(Array.from({ length: 25 }, (_, i) => loader.load(i)));
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
    expect(sizes).toEqual([10, 10, 5]);
  });
});

describe('BatchWriter', () => {
  it('writes items of the same turn together and resolves each with its own result', async () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number, boolean>(async (items) => {
      batches.push([...items]);
      return items.map((n) => n % 2 === 0);
    });
    expect(await Promise.all([1, 2, 3, 4].map((n) => writer.write(n)))).toEqual([false, true, false, true]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('without results, resolves once the batch is written', async () => {
    const written: string[] = [];
    const writer = new BatchWriter<string>(async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      written.push(...items);
      return undefined;
    });
    await Promise.all([writer.write('x'), writer.write('y')]);
    expect(written).toEqual(['x', 'y']);
  });
});
