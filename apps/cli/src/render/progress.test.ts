import { startTask } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { memoryIo, processIo } from '../io';
import { createProgressRenderer } from './progress';

describe('progress renderer', () => {
  it('redraws one bar on a terminal and ends with a tick line', () => {
    const io = memoryIo({ interactive: true });
    const progress = createProgressRenderer(io);
    const task = startTask(progress, 'finetune', 4, 'steps', 'fine-tuning');
    for (let i = 0; i < 4; i++) task.tick(1, { loss: 1 / (i + 1) });
    task.end({ accuracy: 0.99 });
    expect(io.stderr).toContain('\r\x1b[2K');
    expect(io.stderr).toMatch(/fine-tuning \[█+░*\]\s+\d+%/);
    expect(io.stderr).toMatch(/✓ fine-tuning \(\d+\.\ds\) accuracy=0\.99/);
    expect(io.stderr.split('\n').length).toBe(2); // one finished line, no scrolling bar lines
  });

  it('prints plain lines at every tenth when not on a terminal, without control characters', () => {
    const io = memoryIo({ interactive: false });
    const progress = createProgressRenderer(io);
    const task = startTask(progress, 'evaluate', 100, 'samples', 'evaluating');
    for (let i = 0; i < 100; i++) task.tick();
    task.end();
    expect(io.stderr).not.toMatch(/\x1b/);
    const lines = io.stderr.trim().split('\n');
    expect(lines[0]).toBe('evaluating…');
    expect(lines.filter((l) => /evaluating: \d+\/100 samples/.test(l)).length).toBe(9);
    expect(lines.at(-1)).toMatch(/^✓ evaluating/);
  });

  it('stays silent in quiet mode except for warnings, and colours only when allowed', () => {
    const io = memoryIo({ interactive: true, color: true });
    const progress = createProgressRenderer(io, { quiet: true });
    startTask(progress, 'x', 2).end();
    progress.emit({ type: 'log', level: 'warn', message: 'slower than float' });
    expect(io.stderr).toBe('\x1b[33mwarning:\x1b[39m slower than float\n');
  });

  it('respects NO_COLOR', () => {
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      expect(processIo().color).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
