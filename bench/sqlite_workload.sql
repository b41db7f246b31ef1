-- A realistic allocation workload for `make bench`: sqlite3 builds, indexes and queries a
-- 200k-row table in memory (run as: sqlite3 :memory: < bench/sqlite_workload.sql).
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO orders(id, customer, amount, note)
SELECT i, (i * 7919) % 5000, (i * 37 % 10000) / 100.0, printf('order-%d-%x', i, i * 2654435761)
FROM n;
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, region INTEGER);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
INSERT INTO customers SELECT i, 'customer-' || i, i % 17 FROM n;
CREATE INDEX orders_customer ON orders(customer, amount);
CREATE INDEX orders_note ON orders(note);
SELECT count(*), sum(amount), avg(length(note)) FROM orders;
SELECT c.region, count(*), round(sum(o.amount), 2) FROM orders o JOIN customers c
  ON c.id = o.customer GROUP BY c.region ORDER BY 3 DESC LIMIT 5;
SELECT customer, max(amount) FROM orders GROUP BY customer ORDER BY 2 DESC, 1 LIMIT 5;
SELECT count(DISTINCT substr(note, 1, 9)) FROM orders;
SELECT c.name, group_concat(o.id) FROM customers c JOIN orders o ON o.customer = c.id
  WHERE c.id < 3 GROUP BY c.name;
SELECT o.note FROM orders o ORDER BY o.note DESC LIMIT 3;
