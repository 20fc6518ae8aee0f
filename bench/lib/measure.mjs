// Runs a child process and measures wall time, peak RSS and CPU time.
// Peak RSS: GNU time's %M (ru_maxrss of the child) when /usr/bin/time exists; otherwise the
// child's VmHWM polled from /proc every 20 ms (may miss growth in its last 20 ms).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Children still running (so an interrupted harness can stop them). */
export const running = new Set();
const TICKS = 100; // USER_HZ on Linux

/**
 * Spawns `command args` (env as given; stdout kept whole, stderr tail kept), measures it.
 * Resolves {code, signal, stdout, stderrTail, seconds, peakRssKb, cpuS, sysS} (CPU: GNU time only).
 */
export function runMeasured(command, args, { env, cwd, timeoutMs, scratchDir }) {
  const timeFile = path.join(scratchDir ?? os.tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  const [cmd, argv] = GNU_TIME
    ? [GNU_TIME, ['-f', '%M %e %U %S', '-o', timeFile, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderrTail = (stderrTail + d).slice(-64 * 1024);
    });
    let hwmKb = 0;
    let poller = null;
    if (!GNU_TIME) {
      poller = setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 20);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 30 * 60_000);
    child.on('error', reject);
    child.on('close', async (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      running.delete(child);
      clearTimeout(timer);
      if (poller) clearInterval(poller);
      let peakRssKb = hwmKb || null;
      let cpuS = null;
      let sysS = null;
      if (GNU_TIME) {
        try {
          const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
          const [rss, , user, sys] = lines[lines.length - 1].split(' ').map(Number);
          peakRssKb = rss;
          cpuS = user + sys;
          sysS = sys;
        } catch {
          /* time output missing */
        }
        rmSync(timeFile, { force: true });
      }
      resolve({ code, signal, stdout, stderrTail, seconds, peakRssKb, cpuS, sysS });
    });
  });
}

/** The MariaDB/MySQL server process on this machine (for its CPU time), or null. */
export function findMysqld() {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let comm = '';
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(pid);
    }
  } catch {
    /* no /proc */
  }
  return null;
}

/** user+system CPU seconds of a process so far, or null. */
export function cpuSecondsOf(pid) {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** Busy (non-idle, non-iowait) CPU seconds of the whole machine so far, or null. */
export function machineBusySeconds() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / TICKS;
  } catch {
    return null;
  }
}

/**
 * Waits (up to `maxSeconds`) until the machine is quiet: less than `threshold` of one core busy
 * over a 1 s window, so a measurement does not share the CPU with someone else's work.
 * Returns the busy cores of the last window.
 */
export async function waitQuiet({ threshold = 0.15, maxSeconds = 60, log } = {}) {
  const deadline = Date.now() + maxSeconds * 1000;
  let warned = false;
  for (;;) {
    const b0 = machineBusySeconds();
    if (b0 === null) return null;
    await new Promise((r) => setTimeout(r, 1000));
    const busy = machineBusySeconds() - b0;
    if (busy < threshold || Date.now() > deadline) {
      if (busy >= threshold) log?.(`machine still busy (${busy.toFixed(2)} cores) after ${maxSeconds} s; measuring anyway`);
      return busy;
    }
    if (!warned) {
      log?.(`machine busy (${busy.toFixed(2)} cores used by other processes); waiting for it to quiet down…`);
      warned = true;
    }
  }
}
