"""The tables of one host's job file (:mod:`qa.ingest.jobs_sqlite`). A column added later is
added to an older file by ``JobQueue`` when it opens one."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    busy_s REAL NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    chunks INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    client TEXT
);
CREATE TABLE IF NOT EXISTS job_articles (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    article_id TEXT,
    body TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS job_articles_pending ON job_articles(job_id, status, idx);
CREATE TABLE IF NOT EXISTS clients (
    client TEXT PRIMARY KEY,
    served_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    name TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    steps INTEGER NOT NULL DEFAULT 0
);
"""
