"""The query pipeline: one module per stage, each with typed input and output."""
