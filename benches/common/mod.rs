//! What both benches need from Postgres: a fresh database on the
//! `DATABASE_URL` server (which `scripts/bench.sh` starts), and its removal.
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is unset: run the benches with scripts/bench.sh")
}

/// A fresh, empty database on the `DATABASE_URL` server.
pub async fn fresh_database() -> PgConnectOptions {
    let admin: PgConnectOptions = database_url()
        .parse()
        .expect("DATABASE_URL is a postgres:// URL");
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .expect("DATABASE_URL reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    conn.close().await.ok();
    admin.database(&name)
}

/// Drops a bench database (best effort: the Postgres is throwaway anyway).
pub async fn drop_database(options: &PgConnectOptions) {
    let Some(name) = options.get_database().map(str::to_string) else {
        return;
    };
    let admin = options.clone().database("postgres");
    if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
        )))
        .execute(&mut conn)
        .await;
        conn.close().await.ok();
    }
}

/// Nearest-rank percentile `p` (0-100) of sorted values; None when empty.
#[allow(dead_code)]
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    (!sorted.is_empty()).then(|| sorted[rank.clamp(1, sorted.len()) - 1])
}
