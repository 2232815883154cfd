"""The REST API: routes (Powertools REST resolver), JSON Schemas, the catalog of groups and plans."""
