-- Adding funds: the ways the panel owner takes payment (bKash, Nagad, Rocket, a bank
-- account), and customers' requests to credit what they paid, which an admin approves
-- (crediting the ledger in the same transaction) or rejects with a reason.
CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('bkash', 'nagad', 'rocket', 'bank', 'other')),
    -- The number or account the customer pays to.
    account TEXT NOT NULL,
    instructions TEXT NOT NULL DEFAULT '',
    -- Amounts in the panel currency, in micros like every balance.
    min_amount BIGINT NOT NULL CHECK (min_amount > 0),
    max_amount BIGINT NOT NULL CHECK (max_amount >= min_amount),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE fund_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    method_id BIGINT NOT NULL REFERENCES payment_methods (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- The payment's transaction id as the customer received it, trimmed and upper-cased.
    txn_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    -- Why it was rejected (shown to the customer).
    reason TEXT,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
-- A payment is credited once: no two approved requests share a method's transaction id.
-- The database holds this rule, so two admins approving at once cannot both succeed.
CREATE UNIQUE INDEX fund_requests_one_approval_idx ON fund_requests (method_id, txn_id) WHERE state = 'approved';
CREATE INDEX fund_requests_user_idx ON fund_requests (user_id, id);
CREATE INDEX fund_requests_state_idx ON fund_requests (state, id);
CREATE INDEX fund_requests_txn_idx ON fund_requests (txn_id);
