"""Answer engines: the offline extractive one and the OpenAI-compatible LLM one."""
