-- Resources outside a region that its residents use (issue 13): a
-- hospital or a day service in the next town, listed by the region's
-- coordinator. The entry stays where it is; the listing makes it part of
-- the region's resources (its searches, its curation), marked as outside.
CREATE TABLE directory_region_listings (
    entry_id   BIGINT NOT NULL REFERENCES directory_entries (id),
    -- identity's region (read through its views; no key into its tables)
    region_id  BIGINT NOT NULL,
    -- who listed it (NULL: the demo loader)
    listed_by  BIGINT,
    listed_at  BIGINT NOT NULL,
    PRIMARY KEY (entry_id, region_id)
);
CREATE INDEX directory_region_listings_region ON directory_region_listings (region_id);
