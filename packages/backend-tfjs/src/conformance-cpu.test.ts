import { describeConformance } from './conformance-suite';
// tfjs-cpu's native MaxPoolGrad routes a NaN window's gradient to its largest non-NaN value (PyTorch:
// to the NaN); the NaN-aware composite is 2× slower on cpu, so the deviation is kept and asserted
// exactly (README "Composites and fixes"). The forward value is NaN on every engine.
await describeConformance('cpu', [1, 2, 3], {
  'maxPool2d (NaN/±∞)': ['gradient [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0], PyTorch [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0]'],
});
