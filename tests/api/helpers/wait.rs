//! `eventually`: the one way a test waits for something it can only poll.
use std::{fmt::Debug, future::Future, time::Duration};

/// How long `eventually` rests between looks.
const POLL: Duration = Duration::from_millis(50);

/// What one look of `eventually` found: the value awaited, or why not yet.
pub trait Attempt {
    type Value;
    fn into_result(self) -> Result<Self::Value, String>;
}

impl<T> Attempt for Option<T> {
    type Value = T;
    fn into_result(self) -> Result<T, String> {
        self.ok_or_else(|| "None".to_string())
    }
}

impl<T, E: Debug> Attempt for Result<T, E> {
    type Value = T;
    fn into_result(self) -> Result<T, String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Looks with `check` until it yields a value (`Some`, `Ok`), resting
/// briefly between looks, and returns that value. If none comes `within`,
/// panics naming `what` was awaited and what the last look found; a look
/// still running at the deadline is abandoned, so a hung call fails too.
/// A check that finds something that can never come right panics itself.
pub async fn eventually<A, F, Fut>(within: Duration, what: &str, mut check: F) -> A::Value
where
    A: Attempt,
    F: FnMut() -> Fut,
    Fut: Future<Output = A>,
{
    let mut last = None;
    let looking = async {
        loop {
            match check().await.into_result() {
                Ok(value) => return value,
                Err(why) => last = Some(why),
            }
            tokio::time::sleep(POLL).await;
        }
    };
    match tokio::time::timeout(within, looking).await {
        Ok(value) => value,
        Err(_) => panic!(
            "waited {within:?} for {what}; last look: {}",
            last.as_deref().unwrap_or("none finished")
        ),
    }
}

#[tokio::test]
async fn eventually_returns_the_value_of_the_first_look_that_has_one() {
    let mut looks = 0;
    let value = eventually(Duration::from_secs(5), "the third look", || {
        looks += 1;
        let n = looks;
        async move {
            if n == 3 {
                Ok(n)
            } else {
                Err(n)
            }
        }
    })
    .await;
    assert_eq!((value, looks), (3, 3));
}

#[tokio::test]
#[should_panic(expected = "for a value that never comes; last look: \"still 7\"")]
async fn eventually_names_what_it_awaited_and_the_last_look_when_time_is_up() {
    eventually(
        Duration::from_millis(200),
        "a value that never comes",
        || async { Err::<(), _>("still 7") },
    )
    .await;
}
