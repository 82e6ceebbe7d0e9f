//! The AWS request budget: every call waits for its operation's turn at
//! AWS's published rate, shared by the RPCs and the poller on every replica
//! through one Postgres row per operation (GCRA), so the service itself
//! never triggers throttling. A call whose turn is further off than
//! `max_wait` is refused at once with the time to retry.
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tracing::debug;

use super::{
    decorate::{Around, Call, Decorated, DecoratedBus, Ready},
    AwsError, AwsErrorKind, EventBus, Operation, Organizations,
};
use crate::{metrics::Metrics, store::Store};

/// Requests per second and how many may go at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    /// `3/5`: 3 a second, bursts of 5.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a rate like 3/5 (per second / burst)");
        let (rate, burst) = s.split_once('/').ok_or_else(bad)?;
        let per_second: f64 = rate.trim().parse().map_err(|_| bad())?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        if !(per_second > 0.0 && per_second.is_finite()) || burst == 0 {
            return Err(format!("{s:?}: the rate and the burst must be above 0"));
        }
        Ok(Self { per_second, burst })
    }

    fn interval(self) -> f64 {
        1.0 / self.per_second
    }

    /// How far ahead of now the schedule may run and still admit a request now.
    fn tolerance(self) -> f64 {
        f64::from(self.burst - 1) * self.interval()
    }
}

/// AWS's published rate for each operation, where AWS publishes one; a
/// conservative default where it does not (all settable with --aws-rate).
fn default_rate(op: Operation) -> Rate {
    use Operation::*;
    let r = |per_second, burst| Rate { per_second, burst };
    match op {
        InviteAccountToOrganization => r(3.0, 5),
        DescribeHandshake => r(1.0, 2),
        ListHandshakesForOrganization => r(5.0, 8),
        CancelHandshake => r(2.0, 3),
        AcceptHandshake => r(1.0, 2),
        // Not published: reads at 2/s, writes at 1/s.
        AssumeRole
        | ListRoots
        | DescribeOrganizationalUnit
        | ListParents
        | ListTagsForResource
        | ListAccounts
        | DescribeOrganization
        | DescribeResponsibilityTransfer
        | ListInboundResponsibilityTransfers
        | ListOutboundResponsibilityTransfers => r(2.0, 4),
        MoveAccount
        | TagResource
        | LeaveOrganization
        | InviteOrganizationToTransferResponsibility
        | TerminateResponsibilityTransfer
        | UpdateResponsibilityTransfer
        | DeclineHandshake => r(1.0, 2),
        // AWS's PutEvents quota is per account and region, in the
        // thousands a second where it is largest and far lower elsewhere,
        // and every other producer of the account shares it. Ten calls a
        // second (100 events, ten to a call) is far more than invitations
        // make, and a small share of any region's quota.
        PutEvents => r(10.0, 10),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSettings {
    rates: HashMap<Operation, Rate>,
    /// The longest a call waits for its turn before it is refused.
    pub max_wait: Duration,
}

impl BudgetSettings {
    /// AWS's published rates, with `OPERATION=RATE/BURST` overrides.
    pub fn new(max_wait: Duration, overrides: &[String]) -> Result<Self, String> {
        let mut rates: HashMap<Operation, Rate> = Operation::ALL
            .into_iter()
            .map(|op| (op, default_rate(op)))
            .collect();
        for o in overrides {
            let (op, rate) = o
                .split_once('=')
                .ok_or_else(|| format!("{o:?} is not OPERATION=RATE/BURST"))?;
            let op = Operation::parse(op).ok_or_else(|| {
                format!("unknown operation {op:?} (one of {})", Operation::names())
            })?;
            rates.insert(op, Rate::parse(rate)?);
        }
        Ok(Self { rates, max_wait })
    }

    pub fn rate(&self, op: Operation) -> Rate {
        self.rates[&op]
    }
}

/// Spends the shared budget before each call.
pub struct Budget {
    store: Store,
    settings: BudgetSettings,
    metrics: Metrics,
}

/// An `Organizations` whose every call waits its turn in the budget.
pub type Budgeted = Decorated<Budget>;

impl Budgeted {
    pub fn new(
        inner: Arc<dyn Organizations>,
        store: Store,
        settings: BudgetSettings,
        metrics: Metrics,
    ) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        Decorated::with(
            inner,
            Budget {
                store,
                settings,
                metrics,
            },
        )
    }
}

/// An `EventBus` whose every PutEvents waits its turn in the budget.
pub type BudgetedBus = DecoratedBus<Budget>;

impl BudgetedBus {
    pub fn new(
        inner: Arc<dyn EventBus>,
        store: Store,
        settings: BudgetSettings,
        metrics: Metrics,
    ) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        DecoratedBus::with(
            inner,
            Budget {
                store,
                settings,
                metrics,
            },
        )
    }
}

impl Budget {
    /// Takes `operation`'s next turn and waits for it, or refuses when it
    /// is more than `max_wait` away. Returns where the schedule ends with it.
    async fn take_turn(&self, operation: Operation) -> Result<DateTime<Utc>, AwsError> {
        let rate = self.settings.rate(operation);
        let limit = rate.tolerance() + self.settings.max_wait.as_secs_f64();
        let ahead = self
            .store
            .take_aws_turn(operation.name(), rate.interval(), limit)
            .await
            .map_err(|e| {
                AwsError::with_kind(
                    AwsErrorKind::Unreachable,
                    "RequestBudgetUnavailable",
                    format!("the request budget in Postgres could not be read: {e}"),
                )
            })?;
        let wait = (ahead.ahead_secs - rate.tolerance()).max(0.0);
        let Some(taken) = ahead.taken else {
            self.metrics.aws_budget_refused(operation.name());
            let mut e = AwsError::with_kind(
                AwsErrorKind::BudgetExhausted,
                "RequestBudgetExhausted",
                format!(
                    "{operation} is limited to {}/s (burst {}) for the account; the next turn is {wait:.1}s away",
                    rate.per_second, rate.burst
                ),
            );
            e.retry_after = Some(Duration::from_secs_f64(wait));
            return Err(e);
        };
        if wait > 0.0 {
            debug!(
                operation = operation.name(),
                wait_ms = (wait * 1000.0) as u64,
                "waiting for the AWS request budget"
            );
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
        Ok(taken)
    }

    /// Undoes the turn of `operation` that ended the schedule at `taken`,
    /// taken for a call not made. Best effort: a turn not given back (a
    /// later one was taken meanwhile) only delays later calls a little.
    async fn give_back(&self, operation: Operation, taken: DateTime<Utc>) {
        let interval = self.settings.rate(operation).interval();
        match self
            .store
            .give_back_aws_turn(operation.name(), interval, taken)
            .await
        {
            Ok(true) => {}
            Ok(false) => debug!(operation = operation.name(), "a later turn was taken: kept"),
            Err(e) => debug!(operation = operation.name(), error = %e, "turn not given back"),
        }
    }
}

impl Around for Budget {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            self.take_turn(op).await?;
            call.await
        })
    }

    /// The turn is taken while the caller gets ready; a turn taken for a
    /// call that is then not made is given back, so the schedule counts
    /// only calls sent.
    fn around_when<'a, T: Send + 'a>(
        &'a self,
        op: Operation,
        ready: Ready<'a>,
        call: Call<'a, T>,
    ) -> Call<'a, Option<T>> {
        Box::pin(async move {
            let turn = self.take_turn(op).await;
            if !ready.await {
                if let Ok(taken) = turn {
                    self.give_back(op, taken).await;
                }
                return Ok(None);
            }
            turn?;
            call.await.map(Some)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_override_the_aws_defaults() {
        assert_eq!(
            Rate::parse("3/5"),
            Ok(Rate {
                per_second: 3.0,
                burst: 5
            })
        );
        assert_eq!(Rate::parse("0.5/1").unwrap().per_second, 0.5);
        for bad in ["3", "x/5", "3/0", "0/5", "-1/2"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
        let wait = Duration::from_secs(5);
        let s = BudgetSettings::new(wait, &["describehandshake=2/4".into()]).unwrap();
        assert_eq!(
            s.rate(Operation::DescribeHandshake),
            Rate {
                per_second: 2.0,
                burst: 4
            }
        );
        assert_eq!(
            s.rate(Operation::InviteAccountToOrganization),
            Rate {
                per_second: 3.0,
                burst: 5
            }
        );
        assert!(BudgetSettings::new(wait, &["Nope=1/1".into()]).is_err());
    }

    #[test]
    fn a_burst_goes_at_once_and_the_next_waits_one_interval() {
        let r = Rate {
            per_second: 2.0,
            burst: 3,
        };
        assert_eq!(r.tolerance(), 1.0);
        assert_eq!(r.interval(), 0.5);
    }
}
