"""The one seam to Qdrant: a protocol, an embedded and a server backend, versions, catalogue."""
