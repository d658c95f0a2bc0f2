import { runGroup } from './benches/fair-train';
const [model, batch, threads, engines, rounds] = process.argv.slice(2);
const g = await runGroup(model!, Number(batch), Number(threads), engines!.split(',') as never, Number(rounds ?? 3), 1.5);
for (const c of g.cells) {
  const s = c.samples ?? [];
  const per = s.map((x: any) => (x.steps ?? 0));
  console.log(c.engine, c.error ?? '', JSON.stringify(s.map((x: any) => ({ wall: +(x.wall / x.steps * 1000).toFixed(2), cpu: +(x.cpu / x.steps * 1000).toFixed(2) }))));
}
