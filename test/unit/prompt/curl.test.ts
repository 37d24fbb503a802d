import * as assert from 'node:assert/strict';
import { promptFromCurl } from '../../../src/core/prompt/curl';

const BODY = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: "Hello, world! It's me." }],
};

// The shape of the Messages API example in the Anthropic docs.
const DOCS_COMMAND = `curl https://api.anthropic.com/v1/messages \\
     --header "x-api-key: $ANTHROPIC_API_KEY" \\
     --header "anthropic-version: 2026-10-21" \\
     --header "content-type: application/json" \\
     --data \\
'{
    "model": "claude-sonnet-5-5",
    "max_tokens": 1024,
    "messages": [
        {"role": "user", "content": "Hello, world! It'\\''s me."}
    ]
}'`;

describe('promptFromCurl', () => {
  it('imports the docs-style command with line continuations', () => {
    assert.deepEqual(promptFromCurl(DOCS_COMMAND), { request: BODY });
  });

  it('imports the same command with CRLF line endings', () => {
    assert.deepEqual(promptFromCurl(DOCS_COMMAND.replace(/\n/g, '\r\n')), { request: BODY });
  });

  it('never keeps credentials: API key and authorization headers and -u are dropped', () => {
    const command = `curl -sS https://api.anthropic.com/v1/messages -H 'x-api-key: sk-ant-api03-SECRET' -H "Authorization: Bearer sk-ant-SECRET2" -u user:SECRET3 -d '${JSON.stringify(BODY).replace(/'/g, "'\\''")}'`;
    const prompt = promptFromCurl(command);
    assert.deepEqual(prompt.request, BODY);
    assert.doesNotMatch(JSON.stringify(prompt), /SECRET/);
  });

  const forms: [string, string][] = [
    ['short options and -X POST', `curl -X POST -H 'content-type: application/json' -d '${JSON.stringify(BODY).replace(/'/g, "'\\''")}' https://api.anthropic.com/v1/messages`],
    ['--data-raw and --url', `curl --url https://api.anthropic.com/v1/messages --data-raw '${JSON.stringify(BODY).replace(/'/g, "'\\''")}'`],
    ['--json', `curl https://api.anthropic.com/v1/messages --json '${JSON.stringify(BODY).replace(/'/g, "'\\''")}'`],
    ['a double-quoted body with escaped quotes', `curl https://api.anthropic.com/v1/messages -d "${JSON.stringify(BODY).replace(/["\\$`]/g, '\\$&')}"`],
    ["an ANSI-C $'…' body", `curl https://api.anthropic.com/v1/messages -d $'${JSON.stringify(BODY, null, 1).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`],
    ['an attached -d value', `curl https://api.anthropic.com/v1/messages -d'${JSON.stringify(BODY).replace(/'/g, "'\\''")}'`],
    ['a quoted URL, options that take arguments, and a pipe after the command', `curl -s -m 30 -o out.json "https://api.anthropic.com/v1/messages" -d '${JSON.stringify(BODY).replace(/'/g, "'\\''")}' | jq .content`],
    ['a leading shell prompt and a trailing comment', `$ curl https://api.anthropic.com/v1/messages \\\n  -d '${JSON.stringify(BODY).replace(/'/g, "'\\''")}' # send it\n`],
    ['a here-document body', `curl https://api.anthropic.com/v1/messages \\\n  -H "content-type: application/json" \\\n  --data @- <<'EOF'\n${JSON.stringify(BODY, null, 2)}\nEOF`],
    ['an unquoted here-document delimiter and a pipe on the same line', `curl https://api.anthropic.com/v1/messages --data @- <<EOF | jq .\n${JSON.stringify(BODY)}\nEOF\necho done`],
    ['a tab-stripping here-document (<<-)', `curl https://api.anthropic.com/v1/messages --data @- <<-END\n\t${JSON.stringify(BODY)}\n\tEND`],
    ['a proxy base URL', `curl http://localhost:8080/anthropic/v1/messages?beta=true -d '${JSON.stringify(BODY).replace(/'/g, "'\\''")}'`],
  ];
  for (const [name, command] of forms) {
    it(`imports ${name}`, () => {
      assert.deepEqual(promptFromCurl(command).request, BODY);
    });
  }

  it('keeps anthropic-beta names as the prompt\'s betas, split and without repeats', () => {
    const command = `curl https://api.anthropic.com/v1/messages -H 'anthropic-beta: task-budgets-2026-03-13, fast-mode-2026-02-01' --header "anthropic-beta: fast-mode-2026-02-01" -d '{"model": "claude-opus-5", "max_tokens": 10, "messages": []}'`;
    assert.deepEqual(promptFromCurl(command).betas, ['task-budgets-2026-03-13', 'fast-mode-2026-02-01']);
  });

  it('declares the placeholders found in the body as variables asked for at run time', () => {
    const command = `curl https://api.anthropic.com/v1/messages -d '{"model": "claude-sonnet-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "{{q}} in {{ lang }}, again {{q}}"}]}'`;
    assert.deepEqual(promptFromCurl(command).variables, { q: {}, lang: {} });
  });

  const failures: [string, string, RegExp][] = [
    ['a command that is not curl', `wget https://api.anthropic.com/v1/messages`, /not a curl command/],
    ['no body', `curl https://api.anthropic.com/v1/messages -H 'x-api-key: k'`, /no request body/],
    ['no URL', `curl -d '{"messages": []}'`, /no URL/],
    ['a body that is not JSON', `curl https://api.anthropic.com/v1/messages -d 'model=claude'`, /not valid JSON/],
    ['a body without messages', `curl https://api.anthropic.com/v1/messages -d '{"model": "claude-sonnet-5-5", "max_tokens": 5}'`, /no "messages" array/],
    ['a JSON array body', `curl https://api.anthropic.com/v1/messages -d '[1]'`, /must be a JSON object/],
    ['a body read from a file', `curl https://api.anthropic.com/v1/messages -d @request.json`, /read from the file request\.json/],
    ['stdin without a here-document', `curl https://api.anthropic.com/v1/messages -d @- < body.json`, /standard input/],
    ['a GET', `curl -X GET https://api.anthropic.com/v1/messages -d '{}'`, /sends GET/],
    ['another endpoint', `curl https://api.anthropic.com/v1/messages/batches -d '{"requests": []}'`, /calls \/v1\/messages\/batches, not the Messages API/],
    ['token counting', `curl https://api.anthropic.com/v1/messages/count_tokens -d '{"messages": []}'`, /count_tokens/],
    ['two bodies', `curl https://api.anthropic.com/v1/messages -d '{}' -d '{}'`, /more than one --data/],
    ['a form upload', `curl https://api.anthropic.com/v1/files -F file=@a.pdf`, /sends a form/],
    ['an unterminated quote', `curl https://api.anthropic.com/v1/messages -d '{"a": 1}`, /Unterminated single quote/],
    ['an unclosed here-document', `curl https://api.anthropic.com/v1/messages --data @- <<EOF\n{"messages": []}`, /not closed/],
    ['an empty text', '   ', /not a curl command/],
  ];
  it('follows bash: a comment line inside a continued command ends it there', () => {
    const command = `curl https://api.anthropic.com/v1/messages \\\n  # the body\n  -d '${JSON.stringify(BODY)}'`;
    assert.throws(() => promptFromCurl(command), /no request body/);
  });

  for (const [name, command, message] of failures) {
    it(`refuses ${name} with a clear error`, () => {
      assert.throws(() => promptFromCurl(command), message);
    });
  }
});
