/** The stop reason in words, with what to do about it. */
export function explainStopReason(reason: string | null | undefined, maxTokens?: number): string {
  switch (reason) {
    case 'end_turn':
      return 'The model finished its turn.';
    case 'max_tokens':
      return `The response hit max_tokens${maxTokens !== undefined ? ` (${maxTokens})` : ''} and was cut off. Raise max_tokens in the prompt to get the rest.`;
    case 'stop_sequence':
      return 'The model produced one of your stop_sequences.';
    case 'tool_use':
      return 'The model wants to call a tool. Supply the tool result below to continue the conversation.';
    case 'pause_turn':
      return 'The API paused a long server-tool turn. Continue sends the conversation back as it is so the model can resume.';
    case 'refusal':
      return 'The model declined to answer (safety classifiers intervened). Rephrase the request; a refusal before any output is not billed.';
    case 'model_context_window_exceeded':
      return "The conversation filled the model's context window. Shorten the prompt, drop earlier turns, or pick a model with a larger window.";
    case null:
    case undefined:
      return 'No stop reason: the response did not finish.';
    default:
      return `Stopped: ${reason}.`;
  }
}
