// Renders the exploding/vanishing initialisation demo shown in the README:
//   cd packages/monitor && npx tsx scripts/init-demo.ts
import { gradientHealth, initDemo, initDemoSpec, savePlot } from '../src/index.js';

const runs = (['tanh', 'relu'] as const).flatMap((activation) =>
  (['normal', 'glorot', 'he'] as const).map((init) => initDemo({ activation, init, depth: 15 })));
for (const r of runs) {
  const first = r.layers[0]!;
  const last = r.layers.at(-1)!;
  const warnings = gradientHealth(r.model).warnings.map((w) => w.kind);
  console.log(`${r.options.activation.padEnd(4)} ${r.options.init.padEnd(6)} activation std ${first.activationStd.toExponential(1)} → ${last.activationStd.toExponential(1)}, ` +
    `weight-gradient RMS ${first.gradRms.toExponential(1)} → ${last.gradRms.toExponential(1)}  ${warnings.join(', ') || 'healthy'}`);
}
await savePlot(initDemoSpec(runs), new URL('../docs/init-demo.svg', import.meta.url).pathname);
await savePlot(initDemoSpec(runs), new URL('../docs/init-demo.png', import.meta.url).pathname, { scale: 1.5 });
