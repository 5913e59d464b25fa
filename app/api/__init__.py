"""HTTP layer: routes, dependencies, schemas and error mapping."""
