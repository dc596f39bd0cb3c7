"""Document stores: the protocol every implementation follows, and the Chroma one."""

from qa.store.protocol import ChunkRecord, DocumentStore, EmbedderRecord

__all__ = ["ChunkRecord", "DocumentStore", "EmbedderRecord"]
