// Live validation of .prompt.json files (issue 5: validating a 5 MB prompt must take under 50 ms,
// median, so diagnostics can follow typing). One sample = parsePromptFile on a freshly edited
// text (one character changed, a flat string as document.getText() returns it), which
// is everything the editor glue runs per change apart from converting offsets to positions.
//
// Two 5 MB shapes, because they stress different parts: a long document in one string (the
// string scanner and placeholder search) and a long conversation of small messages (the tree,
// ~150,000 values, and the per-message checks). Also reported: the largest text checked live
// by default (DEFAULT_MAX_VALIDATED_LENGTH), and the cost of the size guard above it.
//
// Run alone: node out/bench/validationBench.js
import { DEFAULT_MAX_VALIDATED_LENGTH, parsePromptFile, validateForSend } from '../src/core/prompt/promptFile';
import { runAlone, timedMedian, type BenchFigure, type TimedMedian } from './benchResult';
import { conversationPrompt, longDocumentPrompt, MB } from './fixtures/largePrompts';

const TARGET_MS = 50;
const SAMPLES = 21;
const WARMUP = 5;
/** The prompts as validated: ready to send (a question given, the document cached), no placeholder left in the last turn. */
const validatedDocument = { question: 'What is the hotel limit in Tokyo?', cacheHandbook: true };
const validatedLastQuestion = 'Summarize the conversation.';

/**
 * `text` with the `i`-th of `count` letters spread through it changed. Built with Array.join, as
 * the extension host's document.getText() builds it (lines.join(eol)): a flat sequential string.
 * (Concatenating slices would give a rope that V8 reads through an indirection, slower to scan.)
 */
function editedCopy(text: string, i: number, count: number): string {
  // Letters are inside string values: the prompts are mostly prose.
  let at = Math.floor(((i + 1) * text.length) / (count + 2));
  while (!/[a-z]/.test(text[at] as string)) at++;
  return [text.slice(0, at), text[at] === 'x' ? 'y' : 'x', text.slice(at + 1)].join('');
}

/** Validation timed on freshly edited copies of `text` (see timedMedian). */
function timeValidation(text: string, samples: number, validate: (text: string) => unknown = (t) => parsePromptFile(t)): TimedMedian {
  return timedMedian(samples, WARMUP, validate, (i, runs) => editedCopy(text, i, runs));
}

function checkClean(text: string, expectedPlaceholders: number): void {
  const parsed = parsePromptFile(text);
  if (parsed.diagnostics.length > 0 || parsed.placeholders.length < expectedPlaceholders) {
    throw new Error(`benchmark prompt is not clean: ${JSON.stringify(parsed.diagnostics.slice(0, 3))}`);
  }
}

export async function benchValidation(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  // Built one at a time, so the garbage of building one shape is not collected while timing another.
  const shapes: [string, () => string][] = [
    ['5 MB long document', () => longDocumentPrompt(5 * MB, validatedDocument)],
    ['5 MB conversation', () => conversationPrompt(5 * MB, validatedLastQuestion)],
  ];
  for (const [name, build] of shapes) {
    const text = build();
    checkClean(text, 2);
    const { medianMs, maxMs, cpuMs } = timeValidation(text, SAMPLES);
    figures.push({
      name: `validate ${name}`,
      value: medianMs,
      unit: 'ms',
      target: `< ${TARGET_MS}`,
      ok: medianMs < TARGET_MS,
      detail: `${(text.length / MB).toFixed(2)} MB of text; median of ${SAMPLES} edits (max ${maxMs.toFixed(1)} ms; median CPU time ${cpuMs.toFixed(1)} ms)`,
    });
  }

  const limitText = conversationPrompt(DEFAULT_MAX_VALIDATED_LENGTH - MB / 4, validatedLastQuestion);
  const limit = timeValidation(limitText, 5);
  figures.push({
    name: 'validate at the live limit',
    value: limit.medianMs,
    unit: 'ms',
    detail: `${(limitText.length / MB).toFixed(1)} MB conversation, just under DEFAULT_MAX_VALIDATED_LENGTH (${DEFAULT_MAX_VALIDATED_LENGTH / MB} MB); median of 5 (max ${limit.maxMs.toFixed(1)} ms)`,
  });

  const huge = longDocumentPrompt(50 * MB, validatedDocument);
  const guard = timeValidation(huge, 5);
  figures.push({
    name: 'live check of a 50 MB prompt (size guard)',
    value: guard.medianMs,
    unit: 'ms',
    detail: 'above the live limit: one info diagnostic, the full check runs before sending',
  });
  const full = timeValidation(huge, 3, (t) => validateForSend(t));
  figures.push({
    name: 'validateForSend of a 50 MB prompt',
    value: full.medianMs,
    unit: 'ms',
    detail: 'the full check the run command makes before sending; median of 3',
  });
  return figures;
}

if (require.main === module) runAlone('validationBench', benchValidation);
