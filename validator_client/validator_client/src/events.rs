//! Following the node's event stream: head events tell the attestation service that the
//! slot's block is in, and the duties service whether the shuffling changed; reorgs make it
//! fetch duties again. The stream is reopened (on the best node) whenever it ends.

use crate::beacon_nodes::BeaconNodes;
use crate::duties::DutiesService;
use beacon_api_client::BeaconEvent;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use types::{EthSpec, Slot};

/// Follow head and chain_reorg events for ever.
pub async fn follow_events<E: EthSpec>(
    nodes: Arc<BeaconNodes>,
    duties: Arc<DutiesService<E>>,
    head_slot: watch::Sender<Slot>,
) {
    loop {
        let opened = nodes
            .first_success("open the event stream", |node| async move {
                node.get_events(&["head", "chain_reorg"]).await
            })
            .await;
        match opened {
            Ok(stream) => {
                tracing::debug!("following the node's events");
                let mut stream = std::pin::pin!(stream);
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(BeaconEvent::Head(head)) => {
                            head_slot.send_if_modified(|s| {
                                let newer = head.slot > *s;
                                if newer {
                                    *s = head.slot;
                                }
                                newer
                            });
                            duties.on_head(&head).await;
                        }
                        Ok(BeaconEvent::ChainReorg(reorg)) => {
                            tracing::info!(
                                slot = reorg.slot,
                                depth = reorg.depth,
                                "the node reorged"
                            );
                            duties.on_reorg(reorg.epoch).await;
                        }
                        Ok(BeaconEvent::Other(_)) => {}
                        Err(e) => {
                            tracing::debug!(error = %e, "event stream broke");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "could not open the event stream"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
