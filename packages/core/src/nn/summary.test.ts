/** Summaries: the Keras table for Sequential and functional models, and nn.Module summaries with shapes. */
import { describe, expect, it } from 'vitest';
import { memory } from '../engine';
import type { Tensor } from '../tensor';
import { Concatenate, Dense, Dropout, Flatten, layers } from './index';
import { snake } from './layer';
import { Model, Sequential, summary } from './model';
import { classNameOf, Module, SequentialModule } from './module';
import { Input } from './symbolic';
import * as nn from './torch';

const capture = () => {
  const lines: string[] = [];
  return { print: (l: string) => lines.push(...l.split('\n')), lines };
};

class Net extends Module {
  conv = new nn.Conv2d(1, 4, 3);
  pool = new nn.MaxPool2d(2);
  head = new SequentialModule(new nn.Flatten(), new nn.Linear(4 * 13 * 13, 10), new nn.ReLU());
  drop = new nn.Dropout(0.5);
  override forward(x: Tensor) {
    return this.drop(this.head(this.pool(this.conv(x).relu())));
  }
}

describe('summary of a PyTorch-style module', () => {
  it('lists nested submodules with output shapes from a dummy pass, parameter counts and totals', () => {
    const net = new Net();
    const { print, lines } = capture();
    const before = memory().numTensors;
    const text = summary(net, { inputShape: [2, 1, 28, 28], print });
    expect(memory().numTensors).toBe(before); // the dummy pass leaks nothing
    expect(net.training).toBe(true); // and the mode is restored
    const row = (name: string) => lines.find((l) => l.trimStart().startsWith(name)) ?? '';
    expect(row('conv (Conv2d)')).toMatch(/\[2, 4, 26, 26\]\s+40$/);
    expect(row('pool (MaxPool2d)')).toMatch(/\[2, 4, 13, 13\]\s+0$/);
    expect(row('head (Sequential)')).toMatch(/\[2, 10\]\s+6,770$/);
    expect(row('1 (Linear)')).toMatch(/^ {2}1 \(Linear\)\s+\[2, 10\]\s+6,770$/); // indented under head
    expect(row('0 (Flatten)')).toContain('[2, 676]');
    expect(text).toContain(`Total params: ${(40 + 6770).toLocaleString('en-US')}`);
    expect(text).toContain('Non-trainable params: 0');
  });
  it('without an input shape: no shapes; depth limits the listing; repeated calls are counted', () => {
    const { print, lines } = capture();
    summary(new Net(), { print, depth: 1 });
    expect(lines.some((l) => l.includes('(Linear)'))).toBe(false);
    expect(lines.find((l) => l.startsWith('conv (Conv2d)'))).toMatch(/-\s+40$/);
    class Twice extends Module {
      lin = new nn.Linear(3, 3);
      override forward(x: Tensor) {
        return this.lin(this.lin(x));
      }
    }
    const c = capture();
    summary(new Twice(), { inputShape: [null, 3], print: c.print });
    expect(c.lines.find((l) => l.startsWith('lin'))).toMatch(/\[1, 3\] ×2\s+12$/);
    expect(() => summary(new Twice(), { inputShape: [1, 2.5], print: () => {} })).toThrow(/summary: inputShape must be a shape with the batch axis/);
  });
});

describe('summary of Keras models', () => {
  it('functional: a Connected to column, a shared layer listed per call with its parameters counted once', () => {
    const a = Input({ shape: [3], name: 'a' }), b = Input({ shape: [3], name: 'b' });
    const shared = new Dense(4, { name: 'shared' });
    const out = new Dense(1, { name: 'out' })(new Concatenate({ name: 'cat' })([shared(a), shared(b)]));
    const m = Model({ inputs: [a, b], outputs: out });
    const { print, lines } = capture();
    m.summary({ print });
    expect(lines[2]).toMatch(/^Layer \(type\)\s+Output Shape\s+Param #\s+Connected to$/);
    const rows = lines.filter((l) => l.startsWith('shared (Dense)'));
    expect(rows[0]).toMatch(/\(None, 4\)\s+16\s+a\[0\]\[0\]$/);
    expect(rows[1]).toMatch(/\(None, 4\)\s+0\s+b\[0\]\[0\]$/);
    expect(lines.find((l) => l.startsWith('cat (Concatenate)'))).toMatch(/\(None, 8\)\s+0\s+shared\[0\]\[0\], shared\[1\]\[0\]$/);
    expect(lines.find((l) => l.startsWith('out (Dense)'))).toMatch(/9\s+cat\[0\]\[0\]$/);
    expect(lines.join('\n')).toContain('Total params: 25 (100 B)');
  });
  it('Sequential: unbuilt layers show "? (unbuilt)" until an input shape is given', () => {
    const m = new Sequential([new Flatten(), new Dense(5), new Dropout(0.2), new Dense(2)]);
    const c1 = capture();
    m.summary(c1.print);
    expect(c1.lines.find((l) => l.includes('(Dense)'))).toContain('? (unbuilt)');
    const c2 = capture();
    m.summary({ inputShape: [null, 2, 3], print: c2.print });
    expect(c2.lines.find((l) => l.includes('(Flatten)'))).toContain('(None, 6)');
    expect(c2.lines.filter((l) => l.includes('(Dense)'))[1]).toMatch(/\(None, 2\)\s+12$/);
    expect(c2.lines.join('\n')).toContain('Total params: 47');
  });
});

describe('names users see (Keras/PyTorch class names, Keras snake_case)', () => {
  it('default layer names follow Keras to_snake_case, summaries show the Keras class names', () => {
    expect(['Conv2D', 'MaxPooling2D', 'GlobalAveragePooling2D', 'BatchNormalization', 'LeakyReLU', 'Dense'].map(snake))
      .toEqual(['conv2d', 'max_pooling2d', 'global_average_pooling2d', 'batch_normalization', 'leaky_re_lu', 'dense']);
    const lrelu = layers.LeakyReLU();
    expect(lrelu.name).toMatch(/^leaky_re_lu(_\d+)?$/);
    expect(classNameOf(lrelu.constructor as never)).toBe('LeakyReLU');
    expect(lrelu.describe()).toMatch(/^LeakyReLU "leaky_re_lu/);
    expect(classNameOf(nn.Dropout)).toBe('Dropout');
    expect(classNameOf(nn.Flatten)).toBe('Flatten');
    // Only an own className counts: a user's subclass of Dense is not "Dense".
    class MyDense extends Dense {}
    expect(classNameOf(MyDense)).toBe('MyDense');
  });
});
