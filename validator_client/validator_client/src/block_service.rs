//! Proposals (validator.md, Block proposal): at the start of a slot where one of our validators
//! proposes, sign the RANDAO reveal, have the node produce a block, sign it behind slashing
//! protection and publish it.

use crate::beacon_nodes::BeaconNodes;
use crate::duties::DutiesService;
use crate::signer::Signer;
use beacon_api_client::PublishOutcome;
use eth2_api_types::ProposerDuty;
use std::sync::Arc;
use types::{EthSpec, Hash256, Slot};

/// Makes our validators' blocks.
pub struct BlockService<E: EthSpec> {
    pub nodes: Arc<BeaconNodes>,
    pub signer: Arc<Signer<E>>,
    pub duties: Arc<DutiesService<E>>,
    pub graffiti: Option<Hash256>,
}

impl<E: EthSpec> BlockService<E> {
    /// Propose at `slot` for each of our validators due to.
    pub async fn propose(&self, slot: Slot) {
        // The genesis block is the chain's; nobody proposes at slot 0.
        if slot == 0 {
            return;
        }
        for duty in self.duties.proposers_at(slot) {
            match self.propose_one(slot, &duty).await {
                Ok(outcome) => tracing::info!(
                    slot,
                    validator = duty.validator_index,
                    ?outcome,
                    "published block"
                ),
                Err(e) => {
                    tracing::error!(slot, validator = duty.validator_index, error = %e, "no block published")
                }
            }
        }
    }

    async fn propose_one(&self, slot: Slot, duty: &ProposerDuty) -> Result<PublishOutcome, String> {
        let epoch = slot / E::slots_per_epoch();
        let signer = self.signer.clone();
        let pubkey = duty.pubkey;
        let randao_reveal =
            tokio::task::spawn_blocking(move || signer.randao_reveal(&pubkey, epoch))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        let graffiti = self.graffiti;
        let block = self
            .nodes
            .first_success("produce a block", |node| async move {
                node.get_validator_blocks::<E>(slot, &randao_reveal, graffiti)
                    .await
            })
            .await
            .map_err(|e| e.to_string())?;
        if block.slot != slot || block.proposer_index != duty.validator_index {
            return Err(format!(
                "the node produced a block for slot {} by {}, not slot {slot} by {}",
                block.slot, block.proposer_index, duty.validator_index
            ));
        }
        let signer = self.signer.clone();
        let signed = tokio::task::spawn_blocking(move || signer.sign_block(&pubkey, block))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let signed = Arc::new(signed);
        self.nodes
            .first_success("publish a block", |node| {
                let signed = signed.clone();
                async move { node.post_beacon_blocks(&signed).await }
            })
            .await
            .map_err(|e| e.to_string())
    }
}
