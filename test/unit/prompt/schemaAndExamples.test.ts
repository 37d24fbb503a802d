import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { KNOWN_MODELS, modelSuggestions } from '../../../src/core/models/modelCatalogue';
import { hasErrors, newPromptTemplate, parsePromptFile } from '../../../src/core/prompt/promptFile';
import { collectDefaults, resolveRequest } from '../../../src/core/prompt/template';
import { chunkedVariable } from '../../../src/core/chunking/chunkDeclaration';
import { diagnosticRange, fileOptionsFor, readRepoFile, repoRoot } from './promptTestSupport';

interface SchemaNode {
  definitions: Record<string, { properties: Record<string, { anyOf?: { enum?: unknown[]; markdownEnumDescriptions?: string[] }[]; deprecationMessage?: string }> }>;
}

/** The schema as VS Code reads it, compiled with ajv; VS Code's own keywords are declared so strict mode still catches typos. */
function compileSchema(): { validate: ValidateFunction; schema: SchemaNode } {
  const schema = JSON.parse(readRepoFile('schemas/prompt.schema.json')) as SchemaNode;
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  ajv.addVocabulary(['markdownDescription', 'deprecationMessage', 'markdownEnumDescriptions', 'enumDescriptions', 'defaultSnippets', 'errorMessage', 'doNotSuggest']);
  return { validate: ajv.compile(schema), schema };
}

const { validate, schema } = compileSchema();

function schemaErrors(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const exampleFiles = readdirSync(join(repoRoot, 'examples')).filter((name) => name.endsWith('.prompt.json'));

describe('examples', () => {
  it('include the five documented examples', () => {
    for (const name of ['summarize', 'extract-invoice', 'classify-ticket', 'long-document-cached', 'tool-use-weather']) {
      assert.ok(exampleFiles.includes(`${name}.prompt.json`), `${name}.prompt.json`);
    }
  });

  for (const name of exampleFiles) {
    describe(name, () => {
      const text = readRepoFile(`examples/${name}`);
      const options = fileOptionsFor('examples');

      it('validates against the JSON schema', () => {
        assert.deepEqual(schemaErrors(JSON.parse(text)), []);
      });

      it('parses with no diagnostics, its files found', () => {
        assert.deepEqual(parsePromptFile(text, options).diagnostics, []);
      });

      it('resolves with every variable supplied by its defaults, files and values file (and its dataset\'s columns)', () => {
        const prompt = parsePromptFile(text, options).prompt;
        assert.ok(prompt);
        const readFile = (path: string): string => {
          const lookup = options.namedFile?.(path);
          return lookup?.kind === 'found' ? lookup.text : assert.fail(`missing ${path}`);
        };
        // A dataset prompt's other variables come from the header row of its CSV.
        const columns = prompt.dataset ? (readRepoFile(join('examples', prompt.dataset.path)).split(/\r?\n/)[0] ?? '').split(',') : [];
        // A chunked variable is bound to each chunk in turn, never to a default.
        const chunked = chunkedVariable(prompt);
        const { request, missing } = resolveRequest(prompt, { ...Object.fromEntries(columns.map((c) => [c, `<${c}>`])), ...(chunked ? { [chunked.name]: '<chunk>' } : {}), ...collectDefaults(prompt, readFile) });
        assert.deepEqual(missing, []);
        assert.doesNotMatch(JSON.stringify(request), /\{\{\s*[A-Za-z_]/);
      });
    });
  }

  it("never reads a chunked variable's file as a value (it may be far larger than a named file), and keeps the other values", () => {
    const prompt = parsePromptFile(readRepoFile('examples/long-contract-chunked.prompt.json')).prompt;
    assert.ok(prompt);
    const read: string[] = [];
    const values = collectDefaults({ ...prompt, variables: { ...prompt.variables, party: { default: 'Supplier' } } }, (path) => {
      read.push(path);
      return readRepoFile(join('examples', path));
    });
    assert.deepEqual(read, []);
    assert.deepEqual(values, { party: 'Supplier' });
  });

  it('read a local file through a variable (the handbook, several KB)', () => {
    const prompt = parsePromptFile(readRepoFile('examples/long-document-cached.prompt.json')).prompt;
    const values = collectDefaults(prompt ?? assert.fail('no prompt'), (path) => readRepoFile(join('examples', path)));
    assert.ok((values.handbook ?? '').length > 4000);
  });
});

describe('schemas/prompt.schema.json', () => {
  it('suggests exactly the models of the catalogue, described from it (npm run schema:models rewrites them)', () => {
    const suggestions = schema.definitions.request?.properties.model?.anyOf?.[0];
    const catalogue = modelSuggestions();
    assert.deepEqual(suggestions?.enum, catalogue.map((model) => model.id));
    assert.deepEqual(suggestions?.markdownEnumDescriptions, catalogue.map((model) => model.description));
    assert.deepEqual(catalogue.map((model) => model.id), KNOWN_MODELS.flatMap((model) => [model.id, ...(model.aliases ?? [])]));
  });

  it('marks temperature, top_p and top_k deprecated with a message about API version 2026-10-21', () => {
    for (const name of ['temperature', 'top_p', 'top_k']) {
      assert.match(schema.definitions.request?.properties[name]?.deprecationMessage ?? '', /2026-10-21 rejects/);
    }
  });

  const base = { request: { model: 'claude-sonnet-5-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] } };
  const accepted: [string, unknown][] = [
    ['the minimal prompt', base],
    ['a model id it does not list', { request: { ...base.request, model: 'claude-next-7' } }],
    ['an unknown request field (passed through)', { request: { ...base.request, brand_new_field: { x: 1 } } }],
    ['an unknown content block type', { request: { ...base.request, messages: [{ role: 'user', content: [{ type: 'future_block', data: 1 }] }] } }],
    ['a versioned server tool', { request: { ...base.request, tools: [{ type: 'web_search_20260318', name: 'web_search', max_uses: 3 }] } }],
    ['variables of every form', { ...base, variables: { a: 'x', b: 2, c: true, d: { default: 'x', description: 'y' }, e: { file: 'f.md' } } }],
    ['a beta task budget', { ...base, betas: ['task-budgets-2026-03-13'], request: { ...base.request, output_config: { task_budget: { type: 'tokens', total: 40000 } } } }],
    ['adaptive thinking and effort', { request: { ...base.request, thinking: { type: 'adaptive', display: 'summarized' }, output_config: { effort: 'xhigh' } } }],
    ['the new-prompt template', JSON.parse(newPromptTemplate('New'))],
    [
      'a document and an image from workspace files',
      { request: { ...base.request, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: 'docs/a.pdf' } }, { type: 'image', source: { type: 'workspace_file', path: 'img/b.png' } }] }] } },
    ],
  ];
  for (const [name, value] of accepted) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(schemaErrors(value), []);
    });
  }

  const rejected: [string, unknown][] = [
    ['a prompt without request', { name: 'x' }],
    ['an unknown top-level key', { ...base, modle: 'x' }],
    ['max_tokens as a string', { request: { ...base.request, max_tokens: '1024' } }],
    ['an unknown role', { request: { ...base.request, messages: [{ role: 'bot', content: 'Hi' }] } }],
    ['empty messages', { request: { ...base.request, messages: [] } }],
    ['a text block without text', { request: { ...base.request, messages: [{ role: 'user', content: [{ type: 'text' }] }] } }],
    ['a cache_control TTL of 2h', { request: { ...base.request, system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '2h' } }] } }],
    ['a custom tool without input_schema', { request: { ...base.request, tools: [{ name: 't' }] } }],
    ['enabled thinking without a budget', { request: { ...base.request, thinking: { type: 'enabled' } } }],
    ['tool_choice "tool" without a name', { request: { ...base.request, tool_choice: { type: 'tool' } } }],
    ['a structured output format without a schema', { request: { ...base.request, output_config: { format: { type: 'json_schema' } } } }],
    ['a variable with both default and file', { ...base, variables: { v: { default: 'a', file: 'b' } } }],
    ['a variable name with a space', { ...base, variables: { 'first name': 'Ada' } }],
    ['a workspace file without a path', { request: { ...base.request, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file' } }] }] } }],
    ['a workspace file with a stray key', { request: { ...base.request, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: 'a.pdf', file_id: 'x' } }] }] } }],
  ];
  for (const [name, value] of rejected) {
    it(`rejects ${name}`, () => {
      assert.notDeepEqual(schemaErrors(value), []);
    });
  }
});

describe('test/fixtures/workspace (the integration tests rely on these exact diagnostics)', () => {
  const options = fileOptionsFor('test/fixtures/workspace');

  it('hello.prompt.json is valid and needs no input', () => {
    const text = readRepoFile('test/fixtures/workspace/hello.prompt.json');
    const parsed = parsePromptFile(text, options);
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(parsed.prompt?.request.model, 'claude-sonnet-5-5');
    assert.deepEqual(resolveRequest(parsed.prompt ?? assert.fail(), collectDefaults(parsed.prompt)).missing, []);
    assert.deepEqual(schemaErrors(JSON.parse(text)), []);
  });

  it('broken.prompt.json has its five problems at known places', () => {
    const text = readRepoFile('test/fixtures/workspace/broken.prompt.json');
    const { diagnostics } = parsePromptFile(text, options);
    assert.deepEqual(
      diagnostics.map((d) => diagnosticRange(text, d)),
      [
        ['wrong-type', 'error', 6, 26, 6, 32],
        ['max-tokens-above-model', 'error', 9, 18, 9, 24],
        ['sampling-parameter-removed', 'warning', 10, 4, 10, 17],
        ['first-message-not-user', 'error', 12, 16, 12, 27],
        ['undefined-variable', 'error', 13, 57, 13, 69],
      ],
    );
    assert.equal(hasErrors(diagnostics), true);
  });

  it('invalid-json.prompt.json has one syntax error at the missing comma', () => {
    const text = readRepoFile('test/fixtures/workspace/invalid-json.prompt.json');
    const { diagnostics, prompt } = parsePromptFile(text, options);
    assert.deepEqual(diagnostics.map((d) => diagnosticRange(text, d)), [['json-syntax', 'error', 4, 4, 4, 16]]);
    assert.match(diagnostics[0]?.message ?? '', /Expected a comma/);
    assert.equal(prompt, undefined);
  });
});
