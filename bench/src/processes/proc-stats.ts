/** What /proc says about a process: resident memory and CPU time (Linux only). */
import { readFileSync } from 'node:fs';

/** `getconf CLK_TCK`: 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** VmRSS in bytes, or NaN when /proc is not there. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime in milliseconds, or NaN when /proc is not there. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat are utime, stime; here index 11 and 12 (fields 3.. shifted).
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** A CPU meter over a window: `stop()` gives CPU ms used and the share of one core. */
export function cpuMeter(pid: number): { stop(): { cpuMs: number; wallMs: number; coreShare: number } } {
  const startCpu = cpuMs(pid);
  const startWall = performance.now();
  return {
    stop() {
      const used = cpuMs(pid) - startCpu;
      const wall = performance.now() - startWall;
      return { cpuMs: used, wallMs: wall, coreShare: wall > 0 ? used / wall : Number.NaN };
    },
  };
}

/** CPU use of `pid` over the window that starts in `delayMs` and lasts `lengthMs`. */
export function meterWindow(pid: number, delayMs: number, lengthMs: number): Promise<{ cpuMs: number; wallMs: number; coreShare: number }> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const meter = cpuMeter(pid);
      setTimeout(() => resolve(meter.stop()), lengthMs);
    }, delayMs);
  });
}
