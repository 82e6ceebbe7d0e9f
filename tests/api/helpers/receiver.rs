//! A webhook receiver on 127.0.0.1: answers each POST as scripted (a status,
//! a Retry-After, or a hang), keeps every request it got, and checks each
//! signature with `standardwebhooks`, an implementation independent of the
//! service's.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap, response::IntoResponse, routing::post};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// 429 or 503 with `Retry-After: <seconds>`.
    RetryAfter(u16, u64),
    /// Never answers (the service's 10 s timeout ends it).
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub json: serde_json::Value,
}

#[derive(Default)]
struct Shared {
    script: VecDeque<Answer>,
    /// When the script is used up.
    otherwise: Option<Answer>,
    got: Vec<Received>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    /// A receiver answering 204 unless scripted otherwise.
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    /// The next answers, in order; then `otherwise` (204 when None).
    pub fn script(&self, answers: &[Answer], otherwise: Option<Answer>) {
        let mut s = self.shared.lock().unwrap();
        s.script = answers.iter().copied().collect();
        s.otherwise = otherwise;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().got.clone()
    }

    /// Waits until at least `n` requests arrived; all of them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        super::eventually(within, &format!("{n} webhook requests"), || async {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let answer = {
        let mut s = shared.lock().unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        s.got.push(Received {
            headers: headers.clone(),
            body: body.clone(),
            json,
        });
        s.script
            .pop_front()
            .or(s.otherwise)
            .unwrap_or(Answer::Status(204))
    };
    let code = |c: u16| axum::http::StatusCode::from_u16(c).unwrap();
    match answer {
        Answer::Status(c) => code(c).into_response(),
        Answer::RetryAfter(c, secs) => {
            (code(c), [("retry-after", secs.to_string())]).into_response()
        }
        Answer::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
    }
}

/// Whether `r` carries a valid Standard Webhooks signature by `secret`
/// (`whsec_...`), checked by the `standardwebhooks` crate.
pub fn signed_by(r: &Received, secret: &str) -> bool {
    let wh = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
    wh.verify(&r.body, &r.headers).is_ok()
}

/// A fresh `whsec_` secret.
pub fn new_secret() -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    format!("whsec_{}", STANDARD.encode(uuid::Uuid::new_v4().as_bytes()))
}
