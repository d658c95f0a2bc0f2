import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
const req = createRequire(import.meta.url);
wasm.setWasmPaths(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
for (const b of ['wasm', 'cpu']) {
  await tf.setBackend(b);
  // scatterNd dups
  const s = tf.scatterND(tf.tensor2d([[1],[1],[3]], [3,1], 'int32'), tf.tensor2d([[1,2],[10,20],[5,5]]), [4,2]);
  console.log(b, 'scatterNd', Array.from(s.dataSync()));
  // maxPoolWithArgmax all-negative
  const x = tf.tensor4d([-5,-3,-4,-2, -1,-9,-8,-7, -6,-6,-6,-6, -3,-3,-3,-3], [1,4,4,1]);
  try { const r = tf.maxPoolWithArgmax(x, 2, 2, 'valid', false); console.log(b, 'mpwa', Array.from(r.result.dataSync()), Array.from(r.indexes.dataSync())); } catch (e) { console.log(b, 'mpwa err', e.message); }
  const dy = tf.ones([1,2,2,1]);
  const g = tf.engine().runKernel('MaxPoolGrad', {dy, input: x, output: tf.maxPool(x, 2, 2, 'valid')}, {filterSize: 2, strides: 2, pad: 'valid'});
  console.log(b, 'maxpoolgrad', Array.from(g.dataSync()));
  // conv both stride/dilation 2
  const xi = tf.div(tf.reshape(tf.range(0, 2*9*9*2), [2,9,9,2]), 100);
  const f = tf.div(tf.reshape(tf.range(0, 3*3*2*3),[3,3,2,3]), 10);
  try { const c = tf.engine().runKernel('Conv2D', {x: xi, filter: f}, {strides: [2,2], pad: 'valid', dataFormat: 'NHWC', dilations: [2,2]}); console.log(b, 'conv s2d2', c.shape, Array.from(c.dataSync()).slice(0,6)); } catch (e) { console.log(b, 'conv err', e.message); }
  // oneHot out of range
  console.log(b, 'onehot', Array.from(tf.oneHot(tf.tensor1d([-1, 0, 5], 'int32'), 3, 1, 0, 'float32').dataSync()));
  console.log(b, 'mod', Array.from(tf.mod(tf.tensor1d([-7, 7, -7.5]), tf.tensor1d([3, -3, 2])).dataSync()));
  console.log(b, 'max nan', Array.from(tf.maximum(tf.tensor1d([NaN, 1]), tf.tensor1d([1, NaN])).dataSync()));
  console.log(b, 'bcast matmul', (() => { try { return tf.matMul(tf.ones([2,3,2,4]), tf.ones([3,4,5])).shape; } catch (e) { return e.message; } })());
  console.log(b, 'sum bool', tf.sum(tf.tensor1d([1,0,1], 'bool')).dtype, tf.max(tf.tensor1d([1,0,1], 'bool')).dtype);
  for (const op of ['floor','ceil','round','sign','abs','neg','square','exp','sqrt','relu','reciprocal']) { try { console.log(b, op, tf[op](tf.tensor1d([2], 'int32')).dtype) } catch (e) { console.log(b, op, 'ERR') } }
  console.log(b, 'fill bool', tf.fill([2], 1, 'bool').dataSync());
  console.log(b, 'argmax tie', tf.argMax(tf.tensor1d([1, 3, 3])).dataSync());
}
