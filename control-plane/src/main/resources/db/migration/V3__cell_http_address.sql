-- Where a cell's HTTP API listens (host:port), for routes that send HTTP/1.1 clients there; empty:
-- the cell has no HTTP API.
ALTER TABLE cells ADD COLUMN http_address TEXT NOT NULL DEFAULT '';
