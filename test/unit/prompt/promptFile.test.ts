import * as assert from 'node:assert/strict';
import {
  DEFAULT_MAX_DIAGNOSTICS,
  hasErrors,
  newPromptTemplate,
  parsePromptFile,
  validateForSend,
  type PromptDiagnosticCode,
  type PromptDiagnosticSeverity,
  type PromptParseOptions,
} from '../../../src/core/prompt/promptFile';
import type { NamedFileLookup } from '../../../src/core/files/namedFiles';
import { marked } from './promptTestSupport';

const MODEL = '"model": "claude-sonnet-5-5"';
const MAX = '"max_tokens": 1024';
const HI = '"messages": [{"role": "user", "content": "Hi"}]';

/** A prompt text: the request's members, and optional top-level members before "request". */
function prompt(requestMembers: string, topMembers = ''): string {
  return `{${topMembers ? `${topMembers}, ` : ''}"request": {${requestMembers}}}`;
}

interface DiagnosticCase {
  name: string;
  /** The text, with the expected diagnostic's range marked ⟦…⟧. */
  template: string;
  code: PromptDiagnosticCode;
  severity: PromptDiagnosticSeverity;
  /** Codes of the other diagnostics this text also (rightly) produces. */
  also?: PromptDiagnosticCode[];
  options?: PromptParseOptions;
}

const cases: DiagnosticCase[] = [
  // The file and the request
  { name: 'a root that is not an object', template: '⟦[⟧1, 2]', code: 'wrong-type', severity: 'error' },
  { name: 'no request', template: '⟦{⟧"name": "x"}', code: 'missing-request', severity: 'error' },
  { name: 'a request that is not an object', template: '{"request": ⟦[⟧]}', code: 'wrong-type', severity: 'error' },
  { name: 'no model, at the request key', template: `{⟦"request"⟧: {${MAX}, ${HI}}}`, code: 'missing-field', severity: 'error' },
  { name: 'no max_tokens, at the request key', template: `{⟦"request"⟧: {${MODEL}, ${HI}}}`, code: 'missing-field', severity: 'error' },
  { name: 'no messages, at the request key', template: `{⟦"request"⟧: {${MODEL}, ${MAX}}}`, code: 'missing-field', severity: 'error' },
  { name: 'a misspelled top-level key', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '⟦"varaibles"⟧: {}'), code: 'unknown-key', severity: 'warning' },
  { name: 'a request field outside the request', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '⟦"system"⟧: "x"'), code: 'unknown-key', severity: 'warning' },
  { name: 'a name that is not a string', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '"name": ⟦7⟧'), code: 'wrong-type', severity: 'error' },
  { name: 'a negative expectedOutputTokens', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '"expectedOutputTokens": ⟦-1⟧'), code: 'wrong-type', severity: 'error' },
  { name: 'betas that are not an array', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '"betas": ⟦"task-budgets-2026-03-13"⟧'), code: 'wrong-type', severity: 'error' },

  // model and max_tokens
  { name: 'a model that is not a string', template: prompt(`"model": ⟦5⟧, ${MAX}, ${HI}`), code: 'wrong-type', severity: 'error' },
  { name: 'a model the catalogue does not know', template: prompt(`"model": ⟦"claude-sonnet-9"⟧, ${MAX}, ${HI}`), code: 'unknown-model', severity: 'info' },
  { name: 'a deprecated model (dated id)', template: prompt(`"model": ⟦"claude-sonnet-4-5-20250929"⟧, ${MAX}, ${HI}`), code: 'deprecated-model', severity: 'warning' },
  { name: 'max_tokens as a string', template: prompt(`${MODEL}, "max_tokens": ⟦"1024"⟧, ${HI}`), code: 'wrong-type', severity: 'error' },
  { name: 'a fractional max_tokens', template: prompt(`${MODEL}, "max_tokens": ⟦10.5⟧, ${HI}`), code: 'wrong-type', severity: 'error' },
  { name: 'a negative max_tokens', template: prompt(`${MODEL}, "max_tokens": ⟦-1⟧, ${HI}`), code: 'wrong-type', severity: 'error' },
  { name: 'max_tokens 0 (cache pre-warming)', template: prompt(`${MODEL}, "max_tokens": ⟦0⟧, ${HI}`), code: 'max-tokens-zero', severity: 'info' },
  { name: 'max_tokens above the model maximum', template: prompt(`${MODEL}, "max_tokens": ⟦128001⟧, ${HI}`), code: 'max-tokens-above-model', severity: 'error' },
  { name: 'max_tokens above a 64K model maximum', template: prompt(`"model": "claude-haiku-4-5", "max_tokens": ⟦64001⟧, ${HI}`), code: 'max-tokens-above-model', severity: 'error' },
  {
    name: 'max_tokens above a maximum given by the Models API',
    template: prompt(`"model": "claude-new-6", "max_tokens": ⟦5000⟧, ${HI}`),
    code: 'max-tokens-above-model',
    severity: 'error',
    options: { maxOutputTokens: (model) => (model === 'claude-new-6' ? 4096 : undefined) },
  },
  { name: 'temperature', template: prompt(`${MODEL}, ${MAX}, ⟦"temperature"⟧: 0.2, ${HI}`), code: 'sampling-parameter-removed', severity: 'warning' },
  { name: 'top_p', template: prompt(`${MODEL}, ${MAX}, ⟦"top_p"⟧: 0.9, ${HI}`), code: 'sampling-parameter-removed', severity: 'warning' },
  { name: 'top_k', template: prompt(`${MODEL}, ${MAX}, ⟦"top_k"⟧: 40, ${HI}`), code: 'sampling-parameter-removed', severity: 'warning' },

  // messages
  { name: 'messages that are not an array', template: prompt(`${MODEL}, ${MAX}, "messages": ⟦"Hi"⟧`), code: 'wrong-type', severity: 'error' },
  { name: 'empty messages', template: prompt(`${MODEL}, ${MAX}, "messages": ⟦[]⟧`), code: 'empty-messages', severity: 'error' },
  { name: 'a message that is not an object', template: prompt(`${MODEL}, ${MAX}, "messages": [⟦"Hi"⟧]`), code: 'wrong-type', severity: 'error' },
  { name: 'a message without a role', template: prompt(`${MODEL}, ${MAX}, "messages": [⟦{⟧"content": "Hi"}]`), code: 'missing-field', severity: 'error' },
  { name: 'a message without content', template: prompt(`${MODEL}, ${MAX}, "messages": [⟦{⟧"role": "user"}]`), code: 'missing-field', severity: 'error' },
  { name: 'an unknown role', template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": ⟦"bot"⟧, "content": "Hi"}]`), code: 'invalid-value', severity: 'error' },
  {
    name: 'a first message from the assistant',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": ⟦"assistant"⟧, "content": "Hello"}, {"role": "user", "content": "Hi"}]`),
    code: 'first-message-not-user',
    severity: 'error',
  },
  {
    name: 'a last message from the assistant (prefill)',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Hi"}, {"role": ⟦"assistant"⟧, "content": "{"}]`),
    code: 'assistant-prefill',
    severity: 'warning',
  },
  { name: 'content that is neither string nor array', template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": ⟦42⟧}]`), code: 'wrong-type', severity: 'error' },
  { name: 'a content block without a type', template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [⟦{⟧"text": "Hi"}]}]`), code: 'missing-field', severity: 'error' },
  {
    name: 'an unknown content block type',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": ⟦"txt"⟧, "text": "Hi"}]}]`),
    code: 'unknown-block-type',
    severity: 'warning',
  },
  {
    name: 'a text block without text',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [⟦{⟧"type": "text"}]}]`),
    code: 'missing-field',
    severity: 'error',
  },
  {
    name: 'a tool_result without tool_use_id',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [⟦{⟧"type": "tool_result", "content": "42"}]}]`),
    code: 'missing-field',
    severity: 'error',
  },
  {
    name: 'a document block directly in an assistant message',
    template: prompt(
      `${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [{"type": ⟦"document"⟧, "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}, {"role": "user", "content": "Go on"}]`,
    ),
    code: 'block-not-allowed',
    severity: 'error',
  },
  {
    name: 'citations on a text block in a user message',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi", ⟦"citations"⟧: [{"type": "char_location"}]}]}]`),
    code: 'block-not-allowed',
    severity: 'error',
  },
  { name: 'a system prompt that is a number', template: prompt(`${MODEL}, ${MAX}, "system": ⟦42⟧, ${HI}`), code: 'wrong-type', severity: 'error' },
  { name: 'a non-text block in system', template: prompt(`${MODEL}, ${MAX}, "system": [{"type": ⟦"image"⟧, "source": {}}], ${HI}`), code: 'block-not-allowed', severity: 'error' },
  {
    name: 'a cache_control TTL that does not exist',
    template: prompt(`${MODEL}, ${MAX}, "system": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": ⟦"2h"⟧}}], ${HI}`),
    code: 'invalid-value',
    severity: 'error',
  },
  {
    name: 'a fifth cache breakpoint',
    template: prompt(
      `${MODEL}, ${MAX}, "system": [${[1, 2, 3, 4].map((i) => `{"type": "text", "text": "s${i}", "cache_control": {"type": "ephemeral"}}`).join(', ')}], "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi", ⟦"cache_control"⟧: {"type": "ephemeral"}}]}]`,
    ),
    code: 'too-many-cache-breakpoints',
    severity: 'warning',
  },

  // tools, thinking, output_config, other request fields
  { name: 'tools that are not an array', template: prompt(`${MODEL}, ${MAX}, "tools": ⟦{⟧}, ${HI}`), code: 'wrong-type', severity: 'error' },
  {
    name: 'a custom tool without input_schema',
    template: prompt(`${MODEL}, ${MAX}, "tools": [⟦{⟧"name": "lookup", "description": "d"}], ${HI}`),
    code: 'missing-field',
    severity: 'error',
  },
  { name: 'a server tool without a name', template: prompt(`${MODEL}, ${MAX}, "tools": [⟦{⟧"type": "web_search_20260318"}], ${HI}`), code: 'missing-field', severity: 'error' },
  {
    name: 'two tools with the same name',
    template: prompt(`${MODEL}, ${MAX}, "tools": [{"name": "t", "input_schema": {"type": "object"}}, {"name": ⟦"t"⟧, "input_schema": {"type": "object"}}], ${HI}`),
    code: 'duplicate-tool-name',
    severity: 'error',
  },
  {
    name: 'tool_choice naming a tool that does not exist',
    template: prompt(`"model": "claude-haiku-5-5", ${MAX}, "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "tool", "name": ⟦"nope"⟧}, ${HI}`),
    code: 'unknown-tool',
    severity: 'error',
  },
  {
    name: 'forced tool use on a model that refuses it',
    template: prompt(`${MODEL}, ${MAX}, "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": ⟦"any"⟧}, ${HI}`),
    code: 'forced-tool-choice-unsupported',
    severity: 'warning',
  },
  { name: 'an unknown thinking type', template: prompt(`${MODEL}, ${MAX}, "thinking": {"type": ⟦"sometimes"⟧}, ${HI}`), code: 'invalid-value', severity: 'error' },
  {
    name: 'a thinking budget not below max_tokens',
    template: prompt(`"model": "claude-haiku-4-5", ${MAX}, "thinking": {"type": "enabled", "budget_tokens": ⟦2048⟧}, ${HI}`),
    code: 'invalid-value',
    severity: 'error',
  },
  { name: 'an unknown effort level', template: prompt(`${MODEL}, ${MAX}, "output_config": {"effort": ⟦"extreme"⟧}, ${HI}`), code: 'invalid-value', severity: 'error' },
  {
    name: 'a structured output format without a schema',
    template: prompt(`${MODEL}, ${MAX}, "output_config": {"format": ⟦{⟧"type": "json_schema"}}, ${HI}`),
    code: 'missing-field',
    severity: 'error',
  },
  {
    name: 'a task budget without its beta',
    template: prompt(`"model": "claude-opus-5", ${MAX}, "output_config": {⟦"task_budget"⟧: {"type": "tokens", "total": 50000}}, ${HI}`),
    code: 'beta-required',
    // Not a warning any more: the workbench adds the beta at send time and says so.
    severity: 'info',
  },
  // An error (the prompt is not sent), not an unknown price: the API refuses it.
  { name: 'fast mode on a model without it', template: prompt(`${MODEL}, ${MAX}, "speed": ⟦"fast"⟧, ${HI}`), code: 'invalid-value', severity: 'error' },
  { name: 'an unknown service tier', template: prompt(`${MODEL}, ${MAX}, "service_tier": ⟦"premium"⟧, ${HI}`), code: 'invalid-value', severity: 'error' },
  { name: 'a stop sequence that is not a string', template: prompt(`${MODEL}, ${MAX}, "stop_sequences": ["END", ⟦7⟧], ${HI}`), code: 'wrong-type', severity: 'error' },

  // variables and placeholders
  { name: 'an undeclared variable', template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Hi ⟦{{ name }}⟧!"}]`), code: 'undefined-variable', severity: 'error' },
  {
    name: 'an undeclared variable deep in a tool definition',
    template: prompt(`${MODEL}, ${MAX}, "tools": [{"name": "t", "input_schema": {"type": "object", "properties": {"q": {"description": "in ⟦{{lang}}⟧"}}}}], ${HI}`),
    code: 'undefined-variable',
    severity: 'error',
  },
  { name: 'an unused variable, at its key', template: prompt(`${MODEL}, ${MAX}, ${HI}`, '"variables": {⟦"tone"⟧: "dry"}'), code: 'unused-variable', severity: 'warning' },
  {
    name: 'a variable that is an array',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"variables": {"x": ⟦[⟧1]}'),
    code: 'wrong-type',
    severity: 'error',
  },
  {
    name: 'a null default',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"variables": {"x": {"default": ⟦null⟧}}'),
    code: 'wrong-type',
    severity: 'error',
  },
  {
    name: 'a variable with both a default and a file',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"variables": {"x": {"default": "a", ⟦"file"⟧: "a.txt"}}'),
    code: 'conflicting-variable-source',
    severity: 'error',
    options: { namedFile: () => ({ kind: 'found', text: '' }) },
  },
  {
    name: 'a variable file that does not exist',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{doc}}"}]`, '"variables": {"doc": {"file": ⟦"data/missing.md"⟧}}'),
    code: 'file-not-found',
    severity: 'error',
    options: { namedFile: (path) => (path === 'data/missing.md' ? { kind: 'problem', code: 'file-not-found', message: 'gone' } : { kind: 'found', text: '' }) },
  },
  {
    name: 'a variable file given as an absolute path',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{doc}}"}]`, '"variables": {"doc": {"file": ⟦"/home/me/notes.md"⟧}}'),
    code: 'absolute-path',
    severity: 'error',
    options: { namedFile: () => assert.fail('an absolute path must never reach the host') },
  },
  {
    name: 'a workspace file to upload that does not exist',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "workspace_file", "path": ⟦"docs/missing.pdf"⟧}}]}]`),
    code: 'file-not-found',
    severity: 'error',
    options: { workspaceFile: (path) => (path === 'docs/missing.pdf' ? { kind: 'problem', code: 'file-not-found', message: 'gone' } : { kind: 'found', text: '' }) },
  },
  {
    name: 'a workspace file given as an absolute path',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "workspace_file", "path": ⟦"/etc/passwd.txt"⟧}}]}]`),
    code: 'absolute-path',
    severity: 'error',
    options: { workspaceFile: () => assert.fail('an absolute path must never reach the host') },
  },
  {
    name: 'a workspace file of a type the block cannot take',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "workspace_file", "path": ⟦"docs/handbook.pdf"⟧}}]}]`),
    code: 'unsupported-file-type',
    severity: 'error',
    options: { workspaceFile: () => assert.fail('a wrong type is refused before the host is asked') },
  },
  {
    name: 'a workspace file source without a path',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": [{"type": "document", "source": ⟦{⟧"type": "workspace_file"}}]}]`),
    code: 'missing-field',
    severity: 'error',
  },
  {
    name: 'an unknown key in a variable definition',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"variables": {"x": {⟦"defualt"⟧: "a"}}'),
    code: 'unknown-key',
    severity: 'warning',
  },
  {
    name: 'a variable name that cannot be a placeholder',
    template: prompt(`${MODEL}, ${MAX}, ${HI}`, '"variables": {⟦"first name"⟧: "Ada"}'),
    code: 'invalid-variable-name',
    severity: 'error',
    also: ['unused-variable'],
  },
  {
    name: 'a values file that does not exist',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"valuesFile": ⟦"values.json"⟧'),
    code: 'file-not-found',
    severity: 'error',
    also: ['undefined-variable'],
    options: { namedFile: () => ({ kind: 'problem', code: 'file-not-found', message: 'gone' }) },
  },
  {
    name: 'a values file that is not a JSON object',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{x}}"}]`, '"valuesFile": ⟦"values.json"⟧'),
    code: 'invalid-values-file',
    severity: 'error',
    also: ['undefined-variable'],
    options: { namedFile: () => ({ kind: 'found', text: '["x"]' }) },
  },
  {
    name: 'a placeholder in a property name',
    template: prompt(`${MODEL}, ${MAX}, "metadata": {⟦"{{key}}"⟧: "v"}, ${HI}`),
    code: 'placeholder-in-key',
    severity: 'warning',
  },
  {
    name: 'something that looks like a placeholder but is not one',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Dear ⟦{{ first name }}⟧,"}]`),
    code: 'malformed-placeholder',
    severity: 'warning',
  },

  // ranges where UTF-16 offsets, escapes and line endings matter
  {
    name: 'a problem after astral characters (offsets count UTF-16 units)',
    template: prompt(`${MODEL}, "max_tokens": ⟦"many"⟧, ${HI}`, '"name": "🚀 launch 👩‍👩‍👧 plan", "description": "𝒳𝒴𝒵"'),
    code: 'wrong-type',
    severity: 'error',
  },
  {
    name: 'a placeholder after escapes in the source string',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Line\\nbreak, \\"quoted\\", caf\\u00e9 😀 ⟦{{who}}⟧ end"}]`),
    code: 'undefined-variable',
    severity: 'error',
  },
  {
    name: 'a placeholder after escapes that cannot spell one (scanned in the source as written)',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "Line\\nbreak, \\"quoted\\", a \\\\ backslash \\\\ {{not}} ⟦{{who}}⟧"}]`, '"variables": {"not": "x"}'),
    code: 'undefined-variable',
    severity: 'error',
  },
  {
    name: 'a placeholder padded with a \\t escape',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "tab ⟦{{\\twho\\t}}⟧ end"}]`),
    code: 'undefined-variable',
    severity: 'error',
  },
  {
    name: 'a placeholder spelled with \\u escapes',
    template: prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "see ⟦\\u007b\\u007bwho}}⟧"}]`),
    code: 'undefined-variable',
    severity: 'error',
  },
  {
    name: 'a problem on a CRLF line',
    template: '{\r\n  "request": {\r\n    "model": "claude-sonnet-5-5",\r\n    "max_tokens": ⟦true⟧,\r\n    "messages": [{"role": "user", "content": "Hi"}]\r\n  }\r\n}\r\n',
    code: 'wrong-type',
    severity: 'error',
  },
];

describe('parsePromptFile diagnostics', () => {
  for (const c of cases) {
    it(`reports ${c.name} as ${c.code} at the exact range`, () => {
      const { text, offset, length } = marked(c.template);
      const { diagnostics } = parsePromptFile(text, c.options);
      const matching = diagnostics.filter((d) => d.code === c.code);
      assert.equal(matching.length, 1, `expected one ${c.code}, got ${JSON.stringify(diagnostics, null, 1)}`);
      const [found] = matching as [(typeof matching)[number]];
      assert.deepEqual({ offset: found.offset, length: found.length, severity: found.severity }, { offset, length, severity: c.severity }, found.message);
      assert.deepEqual(
        diagnostics.filter((d) => d !== found).map((d) => d.code).sort(),
        [...(c.also ?? [])].sort(),
        `unexpected extra diagnostics: ${JSON.stringify(diagnostics, null, 1)}`,
      );
      assert.ok(found.message.length > 20, 'the message says what to do');
    });
  }

  it('counts offsets in UTF-16 code units, as VS Code does (not code points)', () => {
    const text = '{"name": "😀", "request": 5}';
    const [diagnostic] = parsePromptFile(text).diagnostics;
    assert.equal(diagnostic?.offset, 26);
    assert.equal([...text.slice(0, 26)].length, 25, 'a code point count would be one less');
  });

  it('reports the same problems at the same text on CRLF and LF line endings', () => {
    const lf = '{\n  "variables": {"unused": "x"},\n  "request": {\n    "model": "claude-sonnet-5-5",\n    "max_tokens": 200000,\n    "temperature": 1,\n    "messages": [\n      {"role": "assistant", "content": "{{missing}}"}\n    ]\n  }\n}\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    const describe = (text: string) => parsePromptFile(text).diagnostics.map((d) => [d.code, text.slice(d.offset, d.offset + d.length)]);
    assert.deepEqual(describe(crlf), describe(lf));
    assert.equal(describe(lf).length, 5);
  });

  it('accepts a complete, valid prompt with no diagnostics and gives its contents', () => {
    const text = JSON.stringify({
      $schema: '../schemas/prompt.schema.json',
      name: 'ok',
      variables: { who: 'Ada', doc: { file: 'doc.md' }, asked: { description: 'asked at run time' } },
      expectedOutputTokens: 100,
      betas: ['task-budgets-2026-03-13'],
      request: {
        model: 'claude-opus-5',
        max_tokens: 4096,
        system: [{ type: 'text', text: '{{doc}}', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Hi {{who}}, {{asked}}' }] },
        ],
        thinking: { type: 'adaptive' },
        output_config: { effort: 'high', task_budget: { type: 'tokens', total: 50000 } },
        context_management: { edits: [] },
        some_future_field: { passes: 'through' },
      },
    });
    const parsed = parsePromptFile(text, { namedFile: () => ({ kind: 'found', text: '' }) });
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.prompt, JSON.parse(text));
  });

  it('withholds the contents when there is an error, but not for warnings', () => {
    const withError = parsePromptFile(prompt(`${MODEL}, "max_tokens": "x", ${HI}`));
    assert.equal(hasErrors(withError.diagnostics), true);
    assert.equal(withError.prompt, undefined);
    const withWarning = parsePromptFile(prompt(`${MODEL}, ${MAX}, "temperature": 1, ${HI}`));
    assert.equal(hasErrors(withWarning.diagnostics), false);
    assert.equal(withWarning.prompt?.request.temperature, 1);
  });

  it('treats a declared variable without a default as asked at run time, not as an error', () => {
    const text = prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{q}}"}]`, '"variables": {"q": {"description": "Your question"}}');
    assert.deepEqual(parsePromptFile(text).diagnostics, []);
  });

  it('counts the keys of a readable values file as declared variables', () => {
    const text = prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{ticket}}"}]`, '"valuesFile": "values.json"');
    const namedFile = (path: string): NamedFileLookup => (path === 'values.json' ? { kind: 'found', text: '{"ticket": "My export fails"}' } : { kind: 'problem', code: 'file-not-found', message: 'gone' });
    assert.deepEqual(parsePromptFile(text, { namedFile }).diagnostics, []);
    const other = parsePromptFile(text, { namedFile: () => ({ kind: 'found', text: '{"other": 1}' }) }).diagnostics;
    assert.deepEqual(other.map((d) => [d.code, d.severity]), [['undefined-variable', 'error']]);
  });

  it('only warns about undeclared variables when a values file exists but cannot be read here', () => {
    const text = prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{ticket}}"}]`, '"valuesFile": "values.json"');
    const { diagnostics } = parsePromptFile(text);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity]), [['undefined-variable', 'warning']]);
  });

  it('lets leading system messages precede the first user message', () => {
    const text = prompt(`${MODEL}, ${MAX}, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]`);
    assert.deepEqual(parsePromptFile(text).diagnostics, []);
  });

  it('skips model-specific checks when the model is itself a placeholder', () => {
    const text = prompt(`"model": "{{model}}", "max_tokens": 999999, ${HI}`, '"variables": {"model": "claude-sonnet-5-5"}');
    assert.deepEqual(parsePromptFile(text).diagnostics, []);
  });

  it('accepts a placeholder where a value must be one of a list (it is only known at run time, e.g. per dataset row)', () => {
    const text = prompt(`${MODEL}, ${MAX}, "output_config": {"effort": "{{effort}}"}, "speed": "{{speed}}", ${HI}`, '"variables": {"effort": "low", "speed": "standard"}');
    assert.deepEqual(parsePromptFile(text).diagnostics, []);
  });

  it('accepts a task budget when its beta is listed', () => {
    const text = prompt(`"model": "claude-opus-5", ${MAX}, "output_config": {"task_budget": {"type": "tokens", "total": 50000}}, ${HI}`, '"betas": ["task-budgets-2026-03-13"]');
    assert.deepEqual(parsePromptFile(text).diagnostics, []);
  });

  it('returns the diagnostics in document order', () => {
    const text = prompt(`"model": 1, "max_tokens": "x", "temperature": 1, "messages": [{"role": "assistant", "content": "{{u}}"}]`, '"variables": {"v": 1}');
    const offsets = parsePromptFile(text).diagnostics.map((d) => d.offset);
    assert.equal(offsets.length, 6);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  });
});

describe('parsePromptFile placeholders', () => {
  it('lists every placeholder with its source range, nested objects and arrays included', () => {
    const text = JSON.stringify(
      {
        variables: { a: '1', b: '2' },
        request: {
          model: 'claude-sonnet-5-5',
          max_tokens: 10,
          system: [{ type: 'text', text: 'x {{a}}' }],
          messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: '{{ b }} and {{a}}' }] }] }],
          metadata: { user_id: '{{a}}' },
        },
      },
      null,
      2,
    );
    const { placeholders, diagnostics } = parsePromptFile(text);
    assert.deepEqual(diagnostics, []);
    const at = (needle: string, from = 0): number => text.indexOf(needle, from);
    assert.deepEqual(
      placeholders.map((p) => [p.name, text.slice(p.offset, p.offset + p.length), p.offset]),
      [
        ['a', '{{a}}', at('x {{a}}') + 2],
        ['b', '{{ b }}', at('{{ b }}')],
        ['a', '{{a}}', at('{{a}}', at('{{ b }}'))],
        ['a', '{{a}}', at('"{{a}}"') + 1],
      ],
    );
  });

  it('finds the inner placeholder of "{{ {{x}} }}" and leaves the outer braces as text', () => {
    const text = prompt(`${MODEL}, ${MAX}, "messages": [{"role": "user", "content": "{{ {{x}} }}"}]`, '"variables": {"x": "1"}');
    const { placeholders, diagnostics } = parsePromptFile(text);
    assert.deepEqual(placeholders.map((p) => text.slice(p.offset, p.offset + p.length)), ['{{x}}']);
    assert.deepEqual(diagnostics, []);
  });

  it('does not look for placeholders outside the request', () => {
    const text = prompt(`${MODEL}, ${MAX}, ${HI}`, '"description": "uses {{nothing}}", "variables": {"v": {"default": "{{also_nothing}}", "description": "x"}}');
    const { placeholders, diagnostics } = parsePromptFile(text);
    assert.deepEqual(placeholders, []);
    assert.deepEqual(diagnostics.map((d) => d.code), ['unused-variable']);
  });
});

describe('parsePromptFile JSON syntax errors', () => {
  it('lists every syntax error of a small file, with readable messages', () => {
    const text = '{\n  "name": "x",,\n  "request": {"model": "m" "max_tokens": 1,}\n}';
    const { diagnostics, prompt: contents } = parsePromptFile(text);
    assert.equal(contents, undefined);
    assert.ok(diagnostics.length >= 2, JSON.stringify(diagnostics));
    assert.ok(diagnostics.every((d) => d.code === 'json-syntax' && d.severity === 'error'));
    const messages = diagnostics.map((d) => `${text.slice(d.offset, d.offset + d.length)} ${d.message}`);
    assert.ok(messages.some((m) => /^"max_tokens" Expected a comma/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^, Trailing comma/.test(m)), messages.join('\n'));
  });

  it('reports comments as errors: the format is strict JSON', () => {
    const text = `{\n  // a note\n  ${prompt(`${MODEL}, ${MAX}, ${HI}`).slice(1)}`;
    const { diagnostics } = parsePromptFile(text);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.offset, d.length]), [['json-syntax', 4, 9]]);
    assert.match(diagnostics[0]?.message ?? '', /Comments are not allowed/);
  });

  it('reports only the first error of a file above 1 MB, at its exact place', () => {
    const body = JSON.stringify({ request: { model: 'claude-sonnet-5-5', max_tokens: 10, system: 'x'.repeat(1_200_000), messages: [{ role: 'user', content: 'Hi' }] } });
    const broken = body.replace('"max_tokens"', '"max_tokens" 10, "oops"');
    const { diagnostics } = parsePromptFile(broken);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]?.offset, broken.indexOf('10, "oops"'));
    assert.match(diagnostics[0]?.message ?? '', /expected ':' after the property name "max_tokens"/);
  });
});

describe('parsePromptFile bounds', () => {
  function conversation(count: number, content: (i: number) => string): string {
    const messages = Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: content(i) }));
    messages.push({ role: 'user', content: 'Last question' });
    return JSON.stringify({ variables: { topic: 'tides' }, request: { model: 'claude-sonnet-5-5', max_tokens: 1024, messages } }, null, 2);
  }

  it('checks 10,000 valid messages with no diagnostics and every placeholder found', () => {
    const text = conversation(10_000, (i) => `Turn ${i} about {{topic}}`);
    const parsed = parsePromptFile(text);
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(parsed.placeholders.length, 10_000);
    const last = parsed.placeholders[9_999];
    assert.equal(last?.offset, text.indexOf('Turn 9999 about {{topic}}') + 'Turn 9999 about '.length);
  });

  it(`lists at most ${DEFAULT_MAX_DIAGNOSTICS} of 10,000 problems, then one that counts the rest`, () => {
    const text = conversation(10_000, (i) => `Turn ${i} about {{undeclared}}`);
    const { diagnostics } = parsePromptFile(text);
    assert.equal(diagnostics.length, DEFAULT_MAX_DIAGNOSTICS + 1);
    const last = diagnostics[DEFAULT_MAX_DIAGNOSTICS];
    assert.equal(last?.code, 'too-many-problems');
    assert.equal(last?.severity, 'error');
    assert.match(last?.message ?? '', /^9501 more problems not shown \(9500 errors, 1 warning\)/);
  });

  it('keeps hasErrors true when the only errors are among the problems left out', () => {
    const malformed = Array.from({ length: 30 }, () => '{{ not a name }}').join(' ');
    const text = prompt(`${MODEL}, ${MAX}, "system": "${malformed}", "messages": [{"role": "user", "content": "{{undeclared}}"}]`);
    const { diagnostics } = parsePromptFile(text, { maxDiagnostics: 10 });
    assert.equal(diagnostics.length, 11);
    assert.ok(diagnostics.slice(0, 10).every((d) => d.severity === 'warning'));
    assert.equal(hasErrors(diagnostics), true);
  });

  it('returns one info diagnostic for a text above the live limit, and validateForSend still checks it', () => {
    const text = prompt(`${MODEL}, "max_tokens": "x", ${HI}`);
    const live = parsePromptFile(text, { maxValidatedLength: 20 });
    assert.deepEqual(live.diagnostics.map((d) => [d.code, d.severity]), [['too-large-to-validate', 'info']]);
    assert.equal(live.prompt, undefined);
    assert.deepEqual(validateForSend(text, { maxValidatedLength: 20 }).diagnostics.map((d) => d.code), ['wrong-type']);
  });
});

describe('newPromptTemplate', () => {
  it('produces a valid prompt with a {{topic}} variable, whatever the name', () => {
    const name = 'Quarterly "review" ✨';
    const text = newPromptTemplate(name);
    const parsed = parsePromptFile(text);
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(parsed.prompt?.name, name);
    assert.equal(parsed.prompt?.request.model, 'claude-sonnet-5-5');
    assert.equal(parsed.prompt?.request.max_tokens, 1024);
    assert.deepEqual(parsed.placeholders.map((p) => p.name), ['topic']);
    assert.ok(text.endsWith('}\n'));
  });
});
