import assert from 'node:assert/strict';
import { findNodeAtLocation, parse, parseTree } from 'jsonc-parser';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import { appendTurnsToText, continueMessages, toolResultMessages, toolRoundsUsed, type TextFormatting } from '../../../src/core/run/conversation';

type Json = Record<string, unknown>;

/** A reply as the API returns it: the fields assistantTurn must drop as well as the content it keeps. */
function reply(content: Json[], stopReason: string): Message {
  return {
    id: 'msg_01TEST',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 20 },
  } as unknown as Message;
}

const thinking = { type: 'thinking', thinking: 'The user wants weather.', signature: 'EsSIG==' };
const text = { type: 'text', text: 'Let me check.', citations: null };
const weatherCall = { type: 'tool_use', id: 'toolu_A', name: 'get_weather', input: { city: 'Paris' } };
const timeCall = { type: 'tool_use', id: 'toolu_B', name: 'get_time', input: { tz: 'Europe/Paris' } };
const history: Json[] = [{ role: 'user', content: 'Weather and time in Paris?' }];

describe('continueMessages', () => {
  it('appends the reply as an assistant turn (content only, blocks unmodified), then the next user message', () => {
    const message = reply([thinking, text], 'end_turn');
    const next = continueMessages(history, message, 'And tomorrow?');
    assert.deepEqual(next, [
      history[0],
      { role: 'assistant', content: [thinking, text] },
      { role: 'user', content: 'And tomorrow?' },
    ]);
    assert.notEqual((next[1]?.['content'] as Json[])[0], message.content[0], 'blocks are copies, not the reply objects');
  });

  it('does not change the messages or the reply it was given', () => {
    const before = structuredClone(history);
    const message = reply([text], 'end_turn');
    const messageBefore = structuredClone(message);
    const next = continueMessages(history, message, 'More.');
    (next[1]?.['content'] as Json[])[0]!['text'] = 'edited';
    assert.deepEqual(history, before);
    assert.deepEqual(message, messageBefore);
  });

  it('adds no user turn for an empty or blank next message (pause_turn resumes as is)', () => {
    const message = reply([{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } }], 'pause_turn');
    for (const blank of ['', '   ', '\n\t']) {
      const next = continueMessages(history, message, blank);
      assert.equal(next.length, 2);
      assert.equal(next[1]?.['role'], 'assistant');
    }
  });

  it('keeps the next message as typed, surrounding whitespace included', () => {
    const next = continueMessages([], reply([text], 'end_turn'), '  indented\n');
    assert.deepEqual(next.at(-1), { role: 'user', content: '  indented\n' });
  });
});

describe('toolResultMessages', () => {
  const twoCalls = reply([thinking, text, weatherCall, timeCall], 'tool_use');

  it('answers every tool call in one user turn, in the order given, with is_error only on failures', () => {
    const next = toolResultMessages(history, twoCalls, [
      { toolUseId: 'toolu_B', content: '14:05', isError: false },
      { toolUseId: 'toolu_A', content: 'weather service down', isError: true },
    ]);
    assert.deepEqual(next, [
      history[0],
      { role: 'assistant', content: [thinking, text, weatherCall, timeCall] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_B', content: '14:05' },
          { type: 'tool_result', tool_use_id: 'toolu_A', content: 'weather service down', is_error: true },
        ],
      },
    ]);
    assert.ok(!('is_error' in ((next[2]?.['content'] as Json[])[0] as Json)), 'no is_error: false on a success');
  });

  it('refuses two results for the same tool call, naming it', () => {
    assert.throws(
      () =>
        toolResultMessages(history, twoCalls, [
          { toolUseId: 'toolu_A', content: 'sunny', isError: false },
          { toolUseId: 'toolu_A', content: 'rainy', isError: false },
          { toolUseId: 'toolu_B', content: '14:05', isError: false },
        ]),
      /toolu_A has more than one result/,
    );
  });

  it('refuses a result for an id the last response did not call, naming it', () => {
    assert.throws(
      () =>
        toolResultMessages(history, twoCalls, [
          { toolUseId: 'toolu_A', content: 'sunny', isError: false },
          { toolUseId: 'toolu_B', content: '14:05', isError: false },
          { toolUseId: 'toolu_Z', content: '?', isError: false },
        ]),
      { message: 'No tool_use with id toolu_Z in the last response.' },
    );
  });

  it('refuses to leave a tool call unanswered, listing every missing id', () => {
    assert.throws(() => toolResultMessages(history, twoCalls, []), { message: 'Every tool call needs a result; missing: toolu_A, toolu_B.' });
    assert.throws(() => toolResultMessages(history, twoCalls, [{ toolUseId: 'toolu_A', content: 'sunny', isError: false }]), {
      message: 'Every tool call needs a result; missing: toolu_B.',
    });
  });

  it('does not take a server tool call for one the user must answer', () => {
    const serverOnly = reply([{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, weatherCall], 'tool_use');
    assert.throws(() => toolResultMessages([], serverOnly, [{ toolUseId: 'srvtoolu_1', content: 'x', isError: false }]), /No tool_use with id srvtoolu_1/);
  });

  it('does not change the messages it was given', () => {
    const before = structuredClone(history);
    toolResultMessages(history, reply([weatherCall], 'tool_use'), [{ toolUseId: 'toolu_A', content: 'sunny', isError: false }]);
    assert.deepEqual(history, before);
  });
});

describe('toolRoundsUsed', () => {
  it('counts assistant turns that called a tool, and nothing else', () => {
    const messages: Json[] = [
      { role: 'user', content: 'Go.' },
      { role: 'assistant', content: 'Plain string content.' },
      { role: 'assistant', content: [text] },
      { role: 'assistant', content: [text, weatherCall] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_A', content: 'sunny' }] },
      { role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }] },
      { role: 'user', content: [weatherCall] },
      { role: 'assistant', content: [weatherCall, timeCall] },
    ];
    assert.equal(toolRoundsUsed(messages), 2);
    assert.equal(toolRoundsUsed([]), 0);
  });

  it('goes up by one for each round built by toolResultMessages', () => {
    let messages: Json[] = [...history];
    for (let round = 1; round <= 3; round++) {
      messages = toolResultMessages(messages, reply([weatherCall], 'tool_use'), [{ toolUseId: 'toolu_A', content: `round ${round}`, isError: false }]);
      assert.equal(toolRoundsUsed(messages), round);
    }
  });
});

describe('appendTurnsToText', () => {
  const LF: TextFormatting = { tabSize: 2, insertSpaces: true, eol: '\n' };
  const CRLF: TextFormatting = { tabSize: 2, insertSpaces: true, eol: '\r\n' };
  const assistant = { role: 'assistant', content: [{ type: 'text', text: 'Salut 🌍, 你好, مرحبا' }] };
  const user = { role: 'user', content: 'Next?' };

  const promptText = [
    '// A prompt with comments, odd spacing and non-ASCII text: 日本語 ✨',
    '{',
    '  "name":   "démo 👋",',
    '  "request": {',
    '    "model": "claude-haiku-4-5", // cheap',
    '    "max_tokens": 100,',
    '    "messages": [',
    '      {',
    '        "role": "user",',
    '        "content": "Héllo 👋"',
    '      }',
    '    ]',
    '  },',
    '  /* after */ "variables": {"x":1}',
    '}',
    '',
  ].join('\n');

  const expectedAfterTwoTurns = [
    '// A prompt with comments, odd spacing and non-ASCII text: 日本語 ✨',
    '{',
    '  "name":   "démo 👋",',
    '  "request": {',
    '    "model": "claude-haiku-4-5", // cheap',
    '    "max_tokens": 100,',
    '    "messages": [',
    '      {',
    '        "role": "user",',
    '        "content": "Héllo 👋"',
    '      },',
    '      {',
    '        "role": "assistant",',
    '        "content": [',
    '          {',
    '            "type": "text",',
    '            "text": "Salut 🌍, 你好, مرحبا"',
    '          }',
    '        ]',
    '      },',
    '      {',
    '        "role": "user",',
    '        "content": "Next?"',
    '      }',
    '    ]',
    '  },',
    '  /* after */ "variables": {"x":1}',
    '}',
    '',
  ].join('\n');

  /** The request.messages of a prompt text, parsed as JSONC. */
  const messagesOf = (text: string): unknown => (parse(text) as { request: { messages: unknown } }).request.messages;

  /** Asserts the result is the original with only an insertion after the last message (or after `[`). */
  function assertOnlyInserted(before: string, after: string): void {
    const array = findNodeAtLocation(parseTree(before)!, ['request', 'messages']);
    assert.ok(array?.type === 'array');
    const last = array.children?.at(-1);
    const keepUpTo = last ? last.offset + last.length : array.offset + 1;
    const closing = array.offset + array.length - 1; // the `]`
    assert.equal(after.slice(0, keepUpTo), before.slice(0, keepUpTo), 'everything up to the insertion point is unchanged');
    assert.equal(after.slice(after.length - (before.length - closing)), before.slice(closing), 'everything from the closing ] on is unchanged');
  }

  it('appends the turns in order, formatted like the file, leaving comments, spacing and Unicode as written', () => {
    const after = appendTurnsToText(promptText, [assistant, user], LF);
    assert.equal(after, expectedAfterTwoTurns);
    assert.deepEqual(messagesOf(after), [{ role: 'user', content: 'Héllo 👋' }, assistant, user]);
  });

  it('keeps CRLF line endings: the same result with every line break a CRLF, and no bare LF', () => {
    const after = appendTurnsToText(promptText.replace(/\n/g, '\r\n'), [assistant, user], CRLF);
    assert.equal(after, expectedAfterTwoTurns.replace(/\n/g, '\r\n'));
    assert.doesNotMatch(after, /[^\r]\n/);
  });

  it('indents with tabs when the editor does', () => {
    const tabbed = '{\n\t"request": {\n\t\t"messages": [\n\t\t\t{\n\t\t\t\t"role": "user",\n\t\t\t\t"content": "a"\n\t\t\t}\n\t\t]\n\t}\n}\n';
    const after = appendTurnsToText(tabbed, [user], { tabSize: 4, insertSpaces: false, eol: '\n' });
    assert.equal(after, '{\n\t"request": {\n\t\t"messages": [\n\t\t\t{\n\t\t\t\t"role": "user",\n\t\t\t\t"content": "a"\n\t\t\t},\n\t\t\t{\n\t\t\t\t"role": "user",\n\t\t\t\t"content": "Next?"\n\t\t\t}\n\t\t]\n\t}\n}\n');
  });

  it('leaves an earlier message written on one line exactly as written', () => {
    const compact = [
      '{',
      '  "request": {',
      '    "model": "claude-haiku-4-5",',
      '    "messages": [',
      '      { "role": "user", "content": "Héllo 👋" }',
      '    ]',
      '  }',
      '}',
      '',
    ].join('\n');
    const after = appendTurnsToText(compact, [user], LF);
    assertOnlyInserted(compact, after);
    assert.ok(after.includes('      { "role": "user", "content": "Héllo 👋" },'), after);
    assert.deepEqual(messagesOf(after), [{ role: 'user', content: 'Héllo 👋' }, user]);
  });

  it('leaves a prompt written on a single line as written, apart from the new turn', () => {
    const oneLine = '{"name":"x","request":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"a"}]},"variables":{}}';
    const after = appendTurnsToText(oneLine, [user], LF);
    assertOnlyInserted(oneLine, after);
    assert.deepEqual(messagesOf(after), [{ role: 'user', content: 'a' }, user]);
  });

  it('fills an empty messages array', () => {
    const empty = '{\n  "request": {\n    "model": "claude-haiku-4-5",\n    "messages": []\n  }\n}\n';
    const after = appendTurnsToText(empty, [user, assistant], LF);
    assert.equal(
      after,
      '{\n  "request": {\n    "model": "claude-haiku-4-5",\n    "messages": [\n      {\n        "role": "user",\n        "content": "Next?"\n      },\n' +
        '      {\n        "role": "assistant",\n        "content": [\n          {\n            "type": "text",\n            "text": "Salut 🌍, 你好, مرحبا"\n          }\n        ]\n      }\n    ]\n  }\n}\n',
    );
  });

  it('writes non-ASCII text literally and keeps astral characters whole', () => {
    const after = appendTurnsToText(promptText, [{ role: 'user', content: 'emoji 🧪 and 𝄞, not \\u escapes' }], LF);
    assert.ok(after.includes('"content": "emoji 🧪 and 𝄞, not \\\\u escapes"'), after);
    assert.doesNotMatch(after, /\\ud83e/i);
    assert.equal((messagesOf(after) as Json[]).at(-1)?.['content'], 'emoji 🧪 and 𝄞, not \\u escapes');
  });

  it('returns the text unchanged when there are no turns', () => {
    assert.equal(appendTurnsToText(promptText, [], LF), promptText);
  });

  const noMessages: [string, string][] = [
    ['an empty object', '{}'],
    ['no messages in request', '{"request": {"model": "claude-haiku-4-5"}}'],
    ['messages that is an object', '{"request": {"messages": {}}}'],
    ['messages that is a string', '{"request": {"messages": "hi"}}'],
    ['messages at the top level', '{"messages": []}'],
    ['text that is not JSON', 'not json at all'],
    ['an empty file', ''],
  ];
  for (const [name, input] of noMessages) {
    it(`throws without request.messages: ${name}`, () => {
      assert.throws(() => appendTurnsToText(input, [user], LF), { message: 'The prompt has no request.messages array to continue.' });
    });
  }
});
