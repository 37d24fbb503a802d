// Deterministic long texts for the chunking tests and the bench: English prose in paragraphs, CJK
// without spaces, emoji-heavy text (ZWJ families, flags, skin tones, combining marks), and prose
// with no line break at all. A seeded generator, so every run cuts the same text.

/** A small seeded PRNG (mulberry32): the same seed gives the same text on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a of to and in that it is was for on are as with his they at be this from have or by one had not but what all were when we ' +
  'there can an your which their said if do will each about how up out them then she many some so these would other into has more ' +
  'contract clause party payment notice termination liability warranty schedule invoice delivery obligation agreement breach remedy'
).split(' ');

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function sentence(random: () => number): string {
  const length = 6 + Math.floor(random() * 18);
  const words: string[] = [];
  for (let i = 0; i < length; i++) words.push(pick(random, WORDS));
  const first = words[0]!;
  words[0] = first[0]!.toUpperCase() + first.slice(1);
  if (random() < 0.15) words.splice(3, 0, String(Math.floor(random() * 10_000)) + ',');
  return words.join(' ') + pick(random, ['.', '.', '.', '?', '!']);
}

/** English prose: paragraphs of 2-8 sentences separated by blank lines, about `chars` long. */
export function englishText(chars: number, seed = 1): string {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const sentences: string[] = [];
    const count = 2 + Math.floor(random() * 7);
    for (let i = 0; i < count; i++) sentences.push(sentence(random));
    const paragraph = sentences.join(random() < 0.2 ? '\n' : ' ');
    parts.push(paragraph);
    length += paragraph.length + 2;
  }
  return parts.join('\n\n').slice(0, chars);
}

/** English prose on one line: no line break anywhere. */
export function singleLineText(chars: number, seed = 2): string {
  return englishText(chars, seed).replace(/\s*\n+\s*/g, ' ');
}

const CJK_PHRASES = ['日本語の文章です', '契約書の条項を確認してください', '支払いは月末までに行います', '本协议自签署之日起生效', '双方应当遵守以下条款', '한국어 문장도 있습니다', 'データを分析した結果'];

/** Japanese, Chinese and Korean sentences ending in 。, a paragraph break now and then. */
export function cjkText(chars: number, seed = 3): string {
  const random = seededRandom(seed);
  let text = '';
  while (text.length < chars) {
    text += pick(random, CJK_PHRASES) + (random() < 0.3 ? '、' + pick(random, CJK_PHRASES) : '') + '。';
    if (random() < 0.1) text += '\n\n';
  }
  return text.slice(0, chars);
}

const EMOJI = ['👨‍👩‍👧‍👦', '🇯🇵', '🇫🇷', '👍🏽', '🏳️‍🌈', '😀', 'é', 'ñ', '🧑🏿‍💻', '❤️', '1️⃣'];

/** Words interleaved with multi-code-point graphemes, mostly without spaces between them. */
export function emojiText(chars: number, seed = 4): string {
  const random = seededRandom(seed);
  let text = '';
  while (text.length < chars) {
    const r = random();
    if (r < 0.55) text += pick(random, EMOJI);
    else if (r < 0.9) text += pick(random, WORDS) + (random() < 0.5 ? ' ' : '');
    else text += random() < 0.5 ? '. ' : '\n';
  }
  return text;
}
