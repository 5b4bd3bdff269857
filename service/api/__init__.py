"""The HTTP surface: thin routes that parse, call the pipeline and serialise."""
