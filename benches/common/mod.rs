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

/// The machine's CPU time since boot, in ticks, as the first line of
/// `/proc/stat` has it: user nice system idle iowait irq softirq steal.
#[allow(dead_code)]
pub fn cpu_ticks() -> [u64; 8] {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let mut ticks = [0; 8];
    let fields = stat.lines().next().unwrap_or_default().split_whitespace();
    for (t, v) in ticks.iter_mut().zip(fields.skip(1)) {
        *t = v.parse().unwrap_or(0);
    }
    ticks
}

/// The share of all CPU time between two `cpu_ticks` readings that the
/// VM's host took for itself (steal), in percent: runs where it is more
/// than a few percent time the host, not the code.
#[allow(dead_code)]
pub fn steal_percent(before: &[u64; 8], after: &[u64; 8]) -> f64 {
    let delta: Vec<u64> = after
        .iter()
        .zip(before)
        .map(|(a, b)| a.saturating_sub(*b))
        .collect();
    let total: u64 = delta.iter().sum();
    if total == 0 {
        return 0.0;
    }
    100.0 * delta[7] as f64 / total as f64
}

/// Handshake `n`, OPEN, of the bench organization, to an account of its own
/// (`account_base + n`); `prefix` keeps each bench's ids apart. (Each
/// bench is a binary of its own: those that record no handshake leave it
/// unused.)
#[allow(dead_code)]
pub fn synthetic_handshake(
    prefix: &str,
    n: usize,
    account_base: u64,
) -> org_invites::domain::Handshake {
    use org_invites::domain::{
        Handshake, HandshakeAction, HandshakeId, HandshakeState, Party, PartyType,
    };
    let id = HandshakeId::parse(&format!("h-{prefix}{n:07}")).expect("valid id");
    let now = chrono::Utc::now();
    Handshake {
        arn: format!(
            "arn:aws:organizations::123456789012:handshake/o-bench00000/invite/{}",
            id.as_str()
        ),
        id,
        parties: vec![
            Party {
                id: "o-bench00000".into(),
                kind: PartyType::Organization,
            },
            Party {
                id: format!("{:012}", account_base + n as u64),
                kind: PartyType::Account,
            },
        ],
        state: HandshakeState::Open,
        requested_time: Some(now),
        expiration_time: Some(now + chrono::Duration::days(15)),
        action: HandshakeAction::Invite,
        resources: vec![],
    }
}
