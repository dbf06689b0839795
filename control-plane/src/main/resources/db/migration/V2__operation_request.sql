-- What an identity operation asked for (IdentityChange as JSON), so the start-up reconciler can
-- start its request workflow if the process stopped between recording and starting it.
ALTER TABLE async_operations ADD COLUMN request_json TEXT NOT NULL DEFAULT '';
