//! Deposit logs read from an endpoint, decoded and checked to continue the deposits held.

use crate::endpoints::EndpointError;
use crate::Eth1Config;
use deposit_contract::{deposit_event_topic, DepositLog};
use eth1_rpc::Eth1Client;

/// The deposit logs of blocks `from..=to`, queried `log_query_blocks` at a time, each decoded
/// strictly and checked to be the next deposit after the `held` ones, in block order. A log a
/// reorg removed, one that is not a `DepositEvent`, a gap or a reordering is an error naming
/// the endpoint and the log.
pub async fn deposit_logs(
    client: &Eth1Client,
    config: &Eth1Config,
    from: u64,
    to: u64,
    held: u64,
) -> Result<Vec<DepositLog>, EndpointError> {
    let bad = |reason: String| EndpointError::BadAnswer {
        endpoint: client.url().to_string(),
        reason,
    };
    let mut logs: Vec<DepositLog> = Vec::new();
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(config.log_query_blocks.max(1) - 1));
        let raw = client
            .logs(config.deposit_contract, deposit_event_topic(), start, end)
            .await?;
        for log in raw {
            if log.removed {
                return Err(bad(format!(
                    "the deposit log {} of block {} is marked removed (reorged out)",
                    log.log_index, log.block_number
                )));
            }
            let deposit =
                DepositLog::from_event_data(&log.data, log.block_number).map_err(|e| {
                    bad(format!(
                        "the log {} of block {} is not a DepositEvent: {e}",
                        log.log_index, log.block_number
                    ))
                })?;
            let expected = held + logs.len() as u64;
            if deposit.index != expected {
                return Err(bad(format!(
                    "deposit {} (block {}) arrived when deposit {expected} was next: logs missing or out of order",
                    deposit.index, deposit.block_number
                )));
            }
            if logs
                .last()
                .is_some_and(|l| l.block_number > deposit.block_number)
            {
                return Err(bad(format!(
                    "deposit {} of block {} comes after a log of a later block",
                    deposit.index, deposit.block_number
                )));
            }
            logs.push(deposit);
        }
        if end == u64::MAX {
            break;
        }
        start = end + 1;
    }
    Ok(logs)
}
