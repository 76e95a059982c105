/**
 * CPU time of a process tree (Linux /proc): what a phase of a benchmark cost
 * the node's processes, independent of how busy the rest of the machine is.
 * Wall-clock rates on a shared machine measure the machine; CPU rates
 * measure the code.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
  readonly ticks: number;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid … utime stime: comm may contain spaces, so split after its closing parenthesis
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      out.push({ pid: Number(entry), ppid: Number(fields[1]), name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended while we read
    }
  }
  return out;
}

/** CPU seconds used so far by `pid` and its descendants, split into workerd's and the rest. */
export function treeCpuSeconds(pid: number): { workerd: number; all: number } {
  const procs = processes();
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let workerd = 0;
  let all = 0;
  const stack = procs.filter((p) => p.pid === pid);
  while (stack.length > 0) {
    const p = stack.pop() as Proc;
    all += p.ticks;
    if (p.name.startsWith("workerd")) workerd += p.ticks;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return { workerd: workerd / TICKS_PER_SECOND, all: all / TICKS_PER_SECOND };
}
