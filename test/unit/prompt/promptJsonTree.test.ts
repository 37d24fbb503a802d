import * as assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, parseJsonTree, type JsonTree } from '../../../src/core/prompt/promptJsonTree';
import { random } from './promptTestSupport';

function treeOf(text: string): JsonTree {
  const result = parseJsonTree(text);
  if (!result.tree) throw new Error(`unexpected syntax error: ${result.error.message} at ${result.error.offset}`);
  return result.tree;
}

/** Every node's source range re-parses to the node's value, and every key's range to its key. */
function assertRangesAreExact(text: string, tree: JsonTree): void {
  for (let node = 0; node < tree.size; node++) {
    const source = text.slice(tree.offset(node), tree.offset(node) + tree.length(node));
    assert.deepEqual(JSON.parse(source), tree.value(node), `node ${node} at ${tree.offset(node)}`);
    if (tree.keyOffset(node) >= 0) {
      assert.equal(JSON.parse(text.slice(tree.keyOffset(node), tree.keyOffset(node) + tree.keyLength(node))), tree.key(node));
    }
  }
}

describe('parseJsonTree', () => {
  const validDocuments: [string, string][] = [
    ['scalars', '[1, -0.5, 2e10, 1E-3, 0, true, false, null, "", "x"]'],
    ['nested containers', '{"a": {"b": [1, [2, {"c": []}], {}]}, "d": "e"}'],
    ['escapes in values and keys', '{"q\\"uote": "line\\nbreak \\u00e9 \\ud83d\\ude00 \\/ \\\\ \\t", "k\\u0065y": 1}'],
    ['astral characters before values', '{"🚀": "😀😀", "after": [1, "é"]}'],
    ['CRLF and tab whitespace', '{\r\n\t"a": 1,\r\n\t"b": [\r\n\t\t2\r\n\t]\r\n}'],
    ['a repeated key', '{"a": 1, "a": 2}'],
    ['a bare string root', '"just a string"'],
  ];
  for (const [name, text] of validDocuments) {
    it(`parses ${name} to the same value as JSON.parse, with exact ranges`, () => {
      const tree = treeOf(text);
      assert.deepEqual(tree.value(0), JSON.parse(text));
      assertRangesAreExact(text, tree);
    });
  }

  it('finds the last of repeated keys, like JSON.parse', () => {
    const tree = treeOf('{"a": 1, "b": 2, "a": 3}');
    assert.equal(tree.numberValue(tree.property(0, 'a')), 3);
    assert.equal(tree.property(0, 'missing'), -1);
  });

  it('matches escaped keys by their decoded name', () => {
    const tree = treeOf('{"r\\u006fle": "user"}');
    assert.equal(tree.stringValue(tree.property(0, 'role')), 'user');
  });

  it('gives paths, sibling links and subtree ends in document order', () => {
    const tree = treeOf('{"request": {"messages": [{"role": "user"}, {"role": "assistant", "content": "hi"}]}}');
    const messages = tree.property(tree.property(0, 'request'), 'messages');
    assert.equal(tree.childCount(messages), 2);
    const second = tree.nextSibling(tree.firstChild(messages));
    const content = tree.property(second, 'content');
    assert.deepEqual(tree.path(content), ['request', 'messages', 1, 'content']);
    assert.equal(tree.end(messages), tree.size);
    assert.equal(tree.nextSibling(second), -1);
    assert.equal(tree.parent(second), messages);
  });

  it('marks the strings that may hold a placeholder: with "{{" or an escape that can spell part of one', () => {
    const tree = treeOf('["plain", "has {{x}}", "one { brace", "esc\\u0061ped", "{{\\ta}}", "line\\nbreak \\"q\\"", {"{{k}}": 1}]');
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => tree.mayHoldPlaceholder(n)), [false, true, false, true, true, false]);
    assert.deepEqual([2, 4, 5].map((n) => tree.placeholdersNeedDecoding(n)), [false, true, true]);
    assert.equal(tree.sourceContent(6), 'line\\nbreak \\"q\\"');
    const keyed = tree.firstChild(7);
    assert.equal(tree.keyMayHoldPlaceholder(keyed), true);
    assert.equal(tree.mayHoldPlaceholder(keyed), false);
  });

  it('keeps growing past its initial capacity (10,000 values)', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ i, s: `v${i}` }));
    const text = JSON.stringify(items);
    const tree = treeOf(text);
    assert.equal(tree.size, 1 + 10_000 * 3);
    assert.equal(tree.childCount(0), 10_000);
    const last = tree.offset(tree.size - 1);
    assert.equal(text.slice(last, last + tree.length(tree.size - 1)), '"v9999"');
  });

  const errors: [string, string, number, number, RegExp][] = [
    ['an empty text', '   ', 3, 0, /empty/],
    ['a trailing comma in an object', '{"a": 1,\n}', 7, 1, /Trailing comma/],
    ['a trailing comma in an array', '[1, 2, ]', 5, 1, /Trailing comma/],
    ['a line comment', '{\n  // note\n  "a": 1}', 4, 2, /Comments are not allowed/],
    ['a block comment', '{"a": /* x */ 1}', 6, 2, /Comments are not allowed/],
    ['an unterminated string at a line break', '{"a": "open\n}', 6, 5, /Unterminated string/],
    ['an unterminated string at the end', '{"a": "open', 6, 5, /Unterminated string/],
    ['a raw tab inside a string', '{"a": "x\ty"}', 8, 1, /Control character/],
    ['an invalid escape', '{"a": "\\q"}', 7, 2, /Invalid escape/],
    ['a short \\u escape', '{"a": "\\u12"}', 7, 6, /four hex digits/],
    ['a leading zero', '[01]', 1, 2, /leading zeros/],
    ['a bare minus', '[-]', 1, 1, /Invalid number/],
    ['a missing colon', '{"a" 1}', 5, 1, /expected ':'/],
    ['an unquoted key, reported as a word', '{model: "x"}', 1, 5, /Unexpected "model": expected a property name/],
    ['a missing comma, reporting the next string whole', '{"a": 1 "b": 2}', 8, 3, /Unexpected string "b": expected ',' or '}' after the value of "a"/],
    ['text after the value', '{} {}', 3, 1, /after the end/],
    ['an early end of file', '{"a": [1, 2', 11, 0, /Unexpected end of file/],
    ['a single-quoted string', "{'a': 1}", 1, 1, /property name in double quotes/],
    ['an astral character where a value belongs, reported whole', '[😀]', 1, 2, /Unexpected "😀"/],
  ];
  for (const [name, text, offset, length, message] of errors) {
    it(`reports ${name} at its exact range`, () => {
      const result = parseJsonTree(text);
      assert.ok(result.error, 'expected a syntax error');
      assert.equal(result.error.offset, offset);
      assert.equal(result.error.length, length);
      assert.match(result.error.message, message);
    });
  }

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels instead of overflowing the stack`, () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    assert.match(parseJsonTree(deep).error?.message ?? '', /Nesting deeper/);
    const allowed = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    assert.equal(parseJsonTree(allowed).error, undefined);
  });

  it('agrees with JSON.parse on which of 2,000 mutated documents are valid', () => {
    const base = JSON.stringify({ request: { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a "q" \\ {{x}} é 😀' }], n: [1.5e3, -2, true, null] } }, null, 1);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '1', '-', '.', 'e', 't', 'n', 'u', '/', '*', '\t', 'x'];
    const next = random(42);
    let valid = 0;
    for (let round = 0; round < 2000; round++) {
      const at = Math.floor(next() * base.length);
      const edit = next();
      const char = alphabet[Math.floor(next() * alphabet.length)] as string;
      const text = edit < 0.4 ? base.slice(0, at) + base.slice(at + 1) : edit < 0.8 ? base.slice(0, at) + char + base.slice(at) : base.slice(0, at) + char + base.slice(at + 1);
      let expected = true;
      try {
        JSON.parse(text);
      } catch {
        expected = false;
      }
      const result = parseJsonTree(text);
      assert.equal(result.error === undefined, expected, `disagreement on ${JSON.stringify(text)}: ${result.error?.message}`);
      if (result.tree) {
        valid++;
        assert.deepEqual(result.tree.value(0), JSON.parse(text));
      }
    }
    assert.ok(valid > 100 && valid < 1900, `the mutations should mix valid and invalid documents (${valid} valid)`);
  });
});
