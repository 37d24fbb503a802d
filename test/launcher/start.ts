// `npm start`: the VS Code server with the extension under development and examples/ open.
// Prints the URL to open in a browser; Ctrl-C stops the server cleanly.
import { join } from 'node:path';
import { ensureTestHost, repoRoot } from './hostSetup';
import { startServer, workbenchUrl } from './vscodeServer';

async function main(): Promise<void> {
  const host = ensureTestHost();
  const port = Number(process.env['PORT'] ?? 0) || undefined;
  const server = await startServer(host, { workspaceTrust: true, port, echo: false });
  const url = workbenchUrl(server, { folder: join(repoRoot, 'examples'), extensionDevelopmentPath: repoRoot });
  process.stdout.write(
    `\nPrompt Workbench is running in VS Code at:\n\n  ${url}\n\n` +
      `Open it in a browser on this machine. Press Ctrl-C to stop.\n` +
      `Try it without a key: run \`npm run simulator\` in another terminal and set promptWorkbench.apiBaseUrl to the URL it prints.\n`,
  );
  await new Promise<void>(() => undefined); // Ctrl-C ends the process; the exit hooks stop the server.
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
