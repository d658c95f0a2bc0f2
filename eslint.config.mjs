// Lint: the package boundaries of DESIGN.md / STYLE.md, enforced.
// - Only @nn/backend-tfjs imports @tensorflow/*; only @nn/onnx imports onnxruntime-node.
// - In @nn/core, layers, optimizers, losses, metrics and training import ops, tensor and autograd —
//   never a backend implementation.
import tseslint from 'typescript-eslint';

const tfjs = { group: ['@tensorflow/*'], message: 'Only @nn/backend-tfjs imports TensorFlow.js.' };
const ort = { group: ['onnxruntime-node', 'onnxruntime-*'], message: 'Only @nn/onnx imports onnxruntime.' };
const backendImpl = {
  group: ['**/backend/reference', '**/backend/tracer', '../backend/reference*', '../../backend/reference*'],
  message: 'Layers, optimizers, losses, metrics and training use ops and tensors, never a backend implementation.',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**', '**/*.test.ts', '**/testing/**', '**/fixtures/**'] },
  {
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: { 'no-restricted-imports': ['error', { patterns: [tfjs, ort] }] },
  },
  {
    files: ['packages/backend-tfjs/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ort] }] },
  },
  {
    files: ['packages/onnx/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [tfjs] }] },
  },
  {
    files: ['packages/core/src/{nn,optim,losses,metrics,train}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [tfjs, ort, backendImpl] }] },
  },
  {
    files: ['apps/bench/src/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' }, // benchmarks compare against raw tfjs and ORT on purpose
  },
);
