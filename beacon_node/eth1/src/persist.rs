//! The follower's caches in the database (`DBColumn::Eth1`): each deposit under its index,
//! the block cache and where the follower got to, written in one batch per update, so a node
//! killed at any moment resumes from a consistent point without refetching from the deploy
//! block.

use crate::block_cache::Eth1Block;
use deposit_contract::DepositLog;
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use store::{DBColumn, HotColdDB, StoreOp};
use types::{DepositData, EthSpec};

const DEPOSIT_PREFIX: u8 = b'd';
const BLOCKS_KEY: &[u8] = b"blocks";
const PROGRESS_KEY: &[u8] = b"progress";

#[derive(Encode, Decode)]
struct StoredDeposit {
    block_number: u64,
    data: DepositData,
}

#[derive(Encode, Decode)]
struct StoredBlocks {
    blocks: Vec<Eth1Block>,
}

#[derive(Encode, Decode)]
struct StoredProgress {
    /// The last eth1 block whose logs are all in the deposit cache.
    last_processed_block: u64,
}

/// What the follower stored.
#[derive(Debug, Default)]
pub struct StoredEth1 {
    pub deposits: Vec<DepositLog>,
    pub blocks: Vec<Eth1Block>,
    pub last_processed_block: Option<u64>,
}

/// Where the follower keeps its caches.
pub trait Eth1Store: Send + Sync {
    /// Everything stored (empty when nothing is).
    fn load_eth1(&self) -> Result<StoredEth1, String>;
    /// One atomic write: the new deposits, the whole block cache, the progress.
    fn save_eth1(
        &self,
        new_deposits: &[DepositLog],
        blocks: &[Eth1Block],
        last_processed_block: u64,
    ) -> Result<(), String>;
}

fn deposit_key(index: u64) -> Vec<u8> {
    let mut key = vec![DEPOSIT_PREFIX];
    key.extend_from_slice(&index.to_be_bytes());
    key
}

impl<E: EthSpec> Eth1Store for HotColdDB<E> {
    fn load_eth1(&self) -> Result<StoredEth1, String> {
        let mut stored = StoredEth1::default();
        for entry in self.iter_items(DBColumn::Eth1) {
            let (key, value) = entry.map_err(|e| e.to_string())?;
            if key.first() == Some(&DEPOSIT_PREFIX) && key.len() == 9 {
                let mut index = [0u8; 8];
                index.copy_from_slice(&key[1..]);
                let deposit = StoredDeposit::from_ssz_bytes(&value)
                    .map_err(|e| format!("stored deposit: {e:?}"))?;
                stored.deposits.push(DepositLog {
                    index: u64::from_be_bytes(index),
                    block_number: deposit.block_number,
                    data: deposit.data,
                });
            } else if key == BLOCKS_KEY {
                stored.blocks = StoredBlocks::from_ssz_bytes(&value)
                    .map_err(|e| format!("stored eth1 blocks: {e:?}"))?
                    .blocks;
            } else if key == PROGRESS_KEY {
                let progress = StoredProgress::from_ssz_bytes(&value)
                    .map_err(|e| format!("stored eth1 progress: {e:?}"))?;
                stored.last_processed_block = Some(progress.last_processed_block);
            }
        }
        Ok(stored)
    }

    fn save_eth1(
        &self,
        new_deposits: &[DepositLog],
        blocks: &[Eth1Block],
        last_processed_block: u64,
    ) -> Result<(), String> {
        let mut ops = Vec::with_capacity(new_deposits.len() + 2);
        for log in new_deposits {
            let value = StoredDeposit {
                block_number: log.block_number,
                data: log.data.clone(),
            };
            ops.push(StoreOp::PutItem(
                DBColumn::Eth1,
                deposit_key(log.index),
                value.as_ssz_bytes(),
            ));
        }
        ops.push(StoreOp::PutItem(
            DBColumn::Eth1,
            BLOCKS_KEY.to_vec(),
            StoredBlocks {
                blocks: blocks.to_vec(),
            }
            .as_ssz_bytes(),
        ));
        ops.push(StoreOp::PutItem(
            DBColumn::Eth1,
            PROGRESS_KEY.to_vec(),
            StoredProgress {
                last_processed_block,
            }
            .as_ssz_bytes(),
        ));
        self.do_atomically(ops).map_err(|e| e.to_string())
    }
}
