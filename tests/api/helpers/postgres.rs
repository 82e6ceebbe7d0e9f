//! Postgres for tests: a fresh database each, a proxy to cut, advisory locks to watch.
use std::time::Duration;

use sqlx::{postgres::PgConnectOptions, Connection, PgConnection, PgPool};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::eventually;

pub fn database_url() -> String {
    std::env::var("ORG_INVITES_TEST_DATABASE_URL")
        .expect("ORG_INVITES_TEST_DATABASE_URL is unset: run the tests with scripts/test.sh")
}

/// A fresh, empty database, migrated by the app that uses it.
pub async fn fresh_database() -> PgConnectOptions {
    let admin: PgConnectOptions = database_url().parse().unwrap();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .expect("test Postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .unwrap();
    admin.database(&name)
}

/// A replica session on `store`, kept open for the rest of the test, for
/// tests that drive the service without a server.
pub fn session(store: &org_invites::store::Store) -> org_invites::store::Session {
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(CancellationToken::new()));
    session
}

/// A TCP proxy in front of Postgres that a test can cut, to make the
/// database "go down" for one app without touching the shared server.
pub struct PgProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl PgProxy {
    pub async fn start(target: &PgConnectOptions) -> Self {
        let upstream = format!("{}:{}", target.get_host(), target.get_port());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // down: drop the connection at once
                }
                let upstream = upstream.clone();
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    /// Options that reach `target` through this proxy.
    pub fn options(&self, target: &PgConnectOptions) -> PgConnectOptions {
        target.clone().host("127.0.0.1").port(self.port)
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// Waits until `n` sessions of `db`'s database wait for an advisory lock,
/// as Postgres reports it, and returns their backend pids.
pub async fn advisory_lock_waiters(db: &PgPool, n: usize) -> Vec<i32> {
    let what = format!("{n} session(s) waiting for an advisory lock");
    eventually(Duration::from_secs(30), &what, || async {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_locks
             WHERE locktype = 'advisory' AND NOT granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_all(db)
        .await
        .unwrap();
        if pids.len() == n {
            Ok(pids)
        } else {
            Err(format!("waiting: {pids:?}"))
        }
    })
    .await
}

/// A transaction of `db` holding the quota lock, which every InviteAccount
/// takes to count the quota, until it ends.
pub async fn hold_quota_lock(db: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = db.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(org_invites::store::QUOTA_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}
