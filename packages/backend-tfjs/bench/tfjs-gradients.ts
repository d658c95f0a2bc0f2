// Register TensorFlow.js's own gradient functions in Node, for the raw-tfjs baseline only.
//
// @tensorflow/tfjs-core's Node bundle (dist/tf-core.node.js) registers no gradients; they live in its
// ESM files (dist/register_all_gradients.js), whose relative imports lack file extensions and so do
// not resolve under Node's ESM loader. A resolve hook adds `.js` (or `/index.js`) for imports made
// from inside tfjs-core's dist. The ESM copy shares the global tfjs engine and gradient registry with
// the CommonJS bundle (tfjs keeps both on globalThis), so `tf.variableGrads` then finds every gradient.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const fromTfjsCore = context.parentURL && context.parentURL.includes('/@tensorflow/tfjs-core/dist/');
    if (!fromTfjsCore || !specifier.startsWith('.')) throw error;
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

export async function registerTfjsGradients(): Promise<void> {
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
}
