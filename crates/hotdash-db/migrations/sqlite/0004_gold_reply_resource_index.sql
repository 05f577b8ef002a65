-- Only gold replies are ever looked up by resource key (a second submission for the same
-- conversation is a conflict), so the index covers them alone. Indexing every delivery cost each
-- Shopify and Chatwoot ingest one more random B-tree leaf written per row for no query.
DROP INDEX webhook_events_resource;
CREATE INDEX webhook_events_gold_reply_resource ON webhook_events (resource_key)
    WHERE source = 'gold-replies';
