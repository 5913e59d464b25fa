"""Document ingestion: read, normalize, chunk, extract entities, embed, upsert."""
