// One measurement for datasetBench: parse and bind every row of a CSV (or only count its lines,
// the baseline; or only run csv-parse over it with the options readDataset uses, the parser's own
// ceiling), in a process of its own so its peak RSS is the reading's alone.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { bindColumns, bindRow, promptVariables } from '../src/core/dataset/datasetBinding';
import { declaredColumns, readDataset } from '../src/core/dataset/datasetSource';
import type { PromptFile } from '../src/core/prompt/promptFile';

const prompt: PromptFile = {
  request: { model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'Ticket {{id}} from a {{tier}} customer:\n{{ticket}}' }] },
};

async function main(): Promise<void> {
  const [mode, path] = process.argv.slice(2) as [string, string];
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let rows = 0;
  if (mode === 'baseline') {
    for await (const _line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) rows++;
    rows -= 1;
  } else if (mode === 'csv-parse') {
    const parser = parseCsv({ bom: true, info: true, skip_empty_lines: true, skip_records_with_error: true });
    for await (const _record of createReadStream(path).pipe(parser)) rows++;
    rows -= 1;
  } else {
    const source = { format: 'csv' as const, path };
    const columns = (await declaredColumns(source)) ?? [];
    const { binding } = bindColumns(promptVariables(prompt), columns, {}, {});
    for await (const record of readDataset(source)) {
      if (record.kind === 'row' && bindRow(prompt, record.row, binding, {}).kind === 'runnable') rows++;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStarted);
  process.stdout.write(JSON.stringify({ rows, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

void main();
