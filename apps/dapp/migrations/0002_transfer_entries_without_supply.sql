-- A transfer does not change an asset's supply, and the supply it used to record came from a cached
-- state that a concurrent mint or burn could make stale (issue 20). Transfers now record none. NOT VALID:
-- the rule holds for every row written from now on without rewriting the journal; the API reports no
-- supply for older transfer entries either.
ALTER TABLE journal ALTER COLUMN total_supply DROP NOT NULL;
ALTER TABLE journal ADD CONSTRAINT journal_supply_of_supply_changes
  CHECK ((kind = 'transfer') = (total_supply IS NULL)) NOT VALID;
