import { describe, expect, it } from 'vitest';
import { machineNote } from './report';

describe('machineNote', () => {
  it('calls a machine quiet only when the load at the start was under half a core', () => {
    expect(machineNote(0.16, 2)).toMatch(/^Quiet machine: the 1-min load average was 0\.16/);
    expect(machineNote(0.5, 2)).toMatch(/^Shared machine: the 1-min load average was 0\.50 on 2 cores/);
    expect(machineNote(3.3, 2)).toContain('other work shared the cores');
  });
});
