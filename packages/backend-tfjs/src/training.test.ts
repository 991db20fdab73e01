import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initTfjs } from './engine/init-tfjs';
import { createLeNet, syntheticDigits } from './test-lenet';

describe('training on wasm', () => {
  it('LeNet-5 learns: the loss falls and accuracy beats chance', async () => {
    const rt = await initTfjs({ prefer: ['wasm'] });
    expect(rt.tf.getBackend()).toBe('wasm');
    const net = createLeNet(3);
    const { x, y, classes } = syntheticDigits(32, 11);
    const losses: number[] = [];
    for (let i = 0; i < 25; i++) losses.push(net.step(x, y, 0.05));
    const final = tf.tidy(() => net.loss(x, y).dataSync()[0]!);
    expect(Number.isFinite(final)).toBe(true);
    expect(final).toBeLessThan(losses[0]! * 0.5);
    const predicted = tf.tidy(() => Array.from(tf.argMax(net.logits(x), 1).dataSync()));
    const accuracy = predicted.filter((p, i) => p === classes[i]).length / classes.length;
    expect(accuracy).toBeGreaterThan(0.5);
  });
});
