"""The embedded default: RapidOCR behind the chat-completions contract, and the receipt rules."""
