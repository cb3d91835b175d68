DROP TABLE fund_requests;
DROP TABLE payment_methods;
