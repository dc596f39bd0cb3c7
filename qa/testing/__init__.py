"""Test harnesses: real local servers (llama.cpp, Chroma) started and stopped by tests, and fakes."""
