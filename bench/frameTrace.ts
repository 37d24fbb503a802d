// What a page's frames spend their time on, from a Chromium trace recorded over the DevTools
// protocol: per frame (a main-thread task that runs BeginMainFrame), its wall time, the main
// thread's CPU time, and that CPU time split into script, style, layout, paint (pre-paint, paint
// and layerization), garbage collection and the rest; and the CPU time per frame of the other
// threads that draw it (the renderer's compositor and raster workers, the GPU process's viz
// compositor). On a shared machine a frame's wall time minus its main-thread CPU time is time the
// thread was not running: preempted by other processes, or waiting for the compositor thread to
// take the commit.
import type { Page } from 'playwright-core';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  tts?: number;
  args?: { name?: string };
}

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'toplevel', 'v8', 'disabled-by-default-v8.gc'];

/** Records a trace of the page while `during` runs. */
export async function recordTrace<T>(page: Page, during: () => Promise<T>): Promise<{ result: T; events: TraceEvent[] }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  // The protocol types a trace event as a string map; they are Chrome's trace event objects.
  cdp.on('Tracing.dataCollected', (data) => {
    for (const e of data.value) events.push(e as unknown as TraceEvent);
  });
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: CATEGORIES } });
  try {
    const result = await during();
    return { result, events };
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
  }
}

export const PHASES = {
  script: ['FireAnimationFrame', 'EventDispatch', 'FunctionCall'],
  style: ['UpdateLayoutTree'],
  layout: ['Layout'],
  paint: ['PrePaint', 'Paint', 'Layerize'],
  gc: ['MinorGC', 'MajorGC', 'V8.GC_SCAVENGER', 'V8.GC_MARK_COMPACTOR', 'BlinkGC.AtomicPhase'],
} as const;
export type Phase = keyof typeof PHASES;

export interface TracedFrame {
  wallMs: number;
  /** The main thread's CPU time in the frame's task. */
  cpuMs: number;
  /** CPU time by phase (the rest of cpuMs is the frame's own bookkeeping, commit included). */
  phases: Record<Phase, number>;
}

export interface FrameTrace {
  frames: TracedFrame[];
  /** CPU time per frame of the threads beside the main thread, by thread name. */
  otherThreadsMsPerFrame: Record<string, number>;
}

/** Events of one thread that are not inside another event of the same name (nested ones would count twice). */
function outermost(events: TraceEvent[]): TraceEvent[] {
  const ends = new Map<string, number>();
  const kept: TraceEvent[] = [];
  for (const e of events) {
    const end = ends.get(e.name) ?? -1;
    if (e.ts < end) continue;
    ends.set(e.name, e.ts + (e.dur ?? 0));
    kept.push(e);
  }
  return kept;
}

/** Sum of the top-level events' CPU time of one thread. */
function threadCpuMs(events: TraceEvent[]): number {
  let end = -1;
  let cpu = 0;
  for (const e of events) {
    if (e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    cpu += e.tdur ?? 0;
  }
  return cpu / 1000;
}

export function analyseTrace(events: readonly TraceEvent[]): FrameTrace {
  const threadNames = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  // Complete events (X), and begin/end pairs (B, E) made into complete ones; frame starts (instant).
  const byThread = new Map<string, TraceEvent[]>();
  const open = new Map<string, TraceEvent[]>();
  const frameStarts = new Map<string, number[]>();
  const add = (key: string, e: TraceEvent): void => {
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  };
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === 'X' && e.dur !== undefined) add(key, e);
    else if (e.ph === 'B') {
      let stack = open.get(key);
      if (!stack) open.set(key, (stack = []));
      stack.push(e);
    } else if (e.ph === 'E') {
      const begin = open.get(key)?.pop();
      if (begin) add(key, { ...begin, ph: 'X', dur: e.ts - begin.ts, tdur: e.tts !== undefined && begin.tts !== undefined ? e.tts - begin.tts : undefined });
    } else if (e.name === 'BeginMainThreadFrame') {
      let starts = frameStarts.get(key);
      if (!starts) frameStarts.set(key, (starts = []));
      starts.push(e.ts);
    }
  }
  for (const list of byThread.values()) list.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  // The page's main thread: the renderer main thread with the most frames.
  let mainKey = '';
  let mostFrames = -1;
  for (const [key, starts] of frameStarts) {
    if (threadNames.get(key) !== 'CrRendererMain') continue;
    if (starts.length > mostFrames) [mainKey, mostFrames] = [key, starts.length];
  }
  const main = byThread.get(mainKey) ?? [];
  const beginFrames = (frameStarts.get(mainKey) ?? []).sort((a, b) => a - b).map((ts) => ({ ts }));
  const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
  const phaseEvents = Object.fromEntries(Object.entries(PHASES).map(([phase, names]) => [phase, outermost(main.filter((e) => (names as readonly string[]).includes(e.name)))])) as Record<Phase, TraceEvent[]>;
  const frames: TracedFrame[] = [];
  let b = 0;
  for (const task of tasks) {
    const end = task.ts + (task.dur ?? 0);
    while (b < beginFrames.length && (beginFrames[b] as { ts: number }).ts < task.ts) b++;
    if (b >= beginFrames.length || (beginFrames[b] as { ts: number }).ts >= end) continue;
    const phases = {} as Record<Phase, number>;
    for (const phase of Object.keys(PHASES) as Phase[]) {
      phases[phase] = phaseEvents[phase].filter((e) => e.ts >= task.ts && e.ts < end).reduce((sum, e) => sum + (e.tdur ?? 0), 0) / 1000;
    }
    frames.push({ wallMs: (task.dur ?? 0) / 1000, cpuMs: (task.tdur ?? 0) / 1000, phases });
  }
  const mainPid = mainKey.split(':')[0];
  const gpuPids = new Set([...threadNames].filter(([, name]) => name === 'VizCompositorThread').map(([key]) => key.split(':')[0]));
  const otherThreadsMsPerFrame: Record<string, number> = {};
  for (const [key, list] of byThread) {
    const name = threadNames.get(key) ?? 'unnamed';
    const pid = key.split(':')[0] as string;
    if (key === mainKey || !(pid === mainPid || gpuPids.has(pid))) continue;
    const label = name === 'ThreadPoolForegroundWorker' ? 'raster and other workers' : name === 'VizCompositorThread' ? 'viz compositor (GPU process)' : name === 'Compositor' ? 'compositor' : undefined;
    if (!label) continue;
    otherThreadsMsPerFrame[label] = (otherThreadsMsPerFrame[label] ?? 0) + threadCpuMs(list) / Math.max(1, frames.length);
  }
  return { frames, otherThreadsMsPerFrame };
}
