import { cpus, freemem, loadavg, release, totalmem, type as osType } from 'node:os';

/** The machine a run measured: CPU model, cores, memory, load, Node version, date. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeGiB: number;
  load: number[];
  os: string;
  node: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: totalmem() / 1024 ** 3,
    freeGiB: freemem() / 1024 ** 3,
    load: loadavg(),
    os: `${osType()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}
