// One measurement for batchBench: build a dataset's Message Batch requests (read and bind each row,
// give it a custom_id, serialise it, split the job into batches and read every batch body to its
// end as the SDK would send it, writing the custom_id mapping) — or, the baseline, only read and
// bind the rows. In a process of its own, so its peak RSS is the reading's alone.
import { rm } from 'node:fs/promises';
import { CustomIdAllocator } from '../src/core/batch/batchCustomIds';
import { MappingWriter } from '../src/core/batch/batchMapping';
import { BATCH_LIMITS, BatchSplitter, buildBatchRequests } from '../src/core/batch/batchRequests';
import { bindColumns, bindRow, promptVariables } from '../src/core/dataset/datasetBinding';
import { declaredColumns, readDataset, type DatasetSource } from '../src/core/dataset/datasetSource';
import type { PromptFile } from '../src/core/prompt/promptFile';

export const benchPrompt: PromptFile = {
  request: { model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'Ticket {{id}} from a {{tier}} customer:\n{{ticket}}' }] },
};

async function main(): Promise<void> {
  const [mode, path, mappingPath] = process.argv.slice(2) as [string, string, string];
  const source: DatasetSource = { format: 'csv', path };
  const columns = (await declaredColumns(source)) ?? [];
  const { binding } = bindColumns(promptVariables(benchPrompt), columns, { keyColumn: 'id' }, {});
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let rows = 0;
  let parts = 0;
  let bytes = 0;
  const ids = new CustomIdAllocator();
  if (mode === 'baseline') {
    for await (const record of readDataset(source)) {
      if (record.kind === 'row' && bindRow(benchPrompt, record.row, binding, {}).kind === 'runnable') rows++;
    }
  } else {
    const mapping = await MappingWriter.open(mappingPath, 'bench');
    const splitter = new BatchSplitter(buildBatchRequests({ plan: { source, binding, errors: [] }, prompt: benchPrompt, promptValues: {}, ids }), BATCH_LIMITS, {
      onRequest: (request, part) => {
        rows++;
        return mapping.append({ customId: request.customId, part, ...request.row });
      },
    });
    for (let next = await splitter.next(); next; next = await splitter.next()) {
      for await (const chunk of next.body) bytes += chunk.byteLength;
      parts++;
    }
    await mapping.close();
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  if (mappingPath) await rm(mappingPath, { force: true });
  process.stdout.write(JSON.stringify({ rows, parts, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, idTableMb: ids.tableBytes / 1024 / 1024 }));
}

if (require.main === module) void main();
