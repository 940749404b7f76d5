//! A typed client of the Beacon Node REST API (ethereum/beacon-APIs v1, phase 0): the calls a
//! validator client makes, and the event stream.
//!
//! One `BeaconNodeHttpClient` is one node; failover between nodes is the validator client's
//! business (it knows which calls matter in which part of a slot).

mod sse;

pub use sse::{parse_sse_frames, SseFrame};

use eth2_api_types::{
    AttesterDuty, BeaconCommitteeSubscription, ChainData, ChainReorgEvent, Data, DutiesResponse,
    ErrorMessage, FinalityCheckpoints, GenesisData, HeadEvent, HeaderData, PeerCount, ProposerDuty,
    SyncingData, ValidatorData, VersionData,
};
use futures_util::{Stream, StreamExt};
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::time::Duration;
use types::{
    Attestation, AttestationData, BeaconBlock, EthSpec, Fork, Hash256, SignatureBytes,
    SignedAggregateAndProof, SignedBeaconBlock, Slot,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiClientError {
    /// The node could not be reached, or the connection broke, or the call timed out.
    #[error("request to {url} failed: {source}")]
    Transport { url: String, source: reqwest::Error },
    /// The node answered with an error status.
    #[error("{url} answered {status}: {message}{}", failures_text(.failures))]
    Status {
        url: String,
        status: u16,
        message: String,
        failures: Vec<eth2_api_types::IndexedFailure>,
    },
    /// The node answered 2xx with a body we could not read.
    #[error("{url} sent an unreadable body: {reason}")]
    Decode { url: String, reason: String },
    /// The base URL given is not usable.
    #[error("invalid beacon node URL {0:?}")]
    InvalidUrl(String),
}

/// The first few failed items of a pool submission, for error messages.
fn failures_text(failures: &[eth2_api_types::IndexedFailure]) -> String {
    let mut text: String = failures
        .iter()
        .take(3)
        .map(|f| format!("; item {}: {}", f.index, f.message))
        .collect();
    if failures.len() > 3 {
        text.push_str(&format!("; and {} more", failures.len() - 3));
    }
    text
}

impl ApiClientError {
    /// The HTTP status, when the node answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What `POST /eth/v1/beacon/blocks` said about a valid block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// 200: imported.
    Imported,
    /// 202: valid and broadcast, not (yet) imported.
    Accepted,
}

/// An event of `/eth/v1/events` the validator client reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeaconEvent {
    Head(HeadEvent),
    ChainReorg(ChainReorgEvent),
    /// Another topic, by name.
    Other(String),
}

/// A client of one beacon node.
#[derive(Clone)]
pub struct BeaconNodeHttpClient {
    base: String,
    client: reqwest::Client,
    /// Without a total timeout: the event stream stays open.
    stream_client: reqwest::Client,
}

impl fmt::Debug for BeaconNodeHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BeaconNodeHttpClient")
            .field(&self.base)
            .finish()
    }
}

impl fmt::Display for BeaconNodeHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl BeaconNodeHttpClient {
    /// A client of the node at `base_url` (`http://host:port`), each call bounded by `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ApiClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|_| ApiClientError::InvalidUrl(base_url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ApiClientError::InvalidUrl(base_url.to_string()));
        }
        let build = |timeout: Option<Duration>| {
            let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(5));
            if let Some(timeout) = timeout {
                builder = builder.timeout(timeout);
            }
            builder
                .build()
                .map_err(|_| ApiClientError::InvalidUrl(base_url.to_string()))
        };
        Ok(BeaconNodeHttpClient {
            base,
            client: build(Some(timeout))?,
            stream_client: build(None)?,
        })
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send(
        &self,
        url: String,
        request: reqwest::RequestBuilder,
    ) -> Result<(String, Response), ApiClientError> {
        let response = request
            .send()
            .await
            .map_err(|source| ApiClientError::Transport {
                url: url.clone(),
                source,
            })?;
        if response.status().is_success() {
            return Ok((url, response));
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let (message, failures) = match serde_json::from_str::<ErrorMessage>(&text) {
            Ok(body) => (body.message, body.failures),
            Err(_) => (text, Vec::new()),
        };
        Err(ApiClientError::Status {
            url,
            status,
            message,
            failures,
        })
    }

    async fn decode<T: DeserializeOwned>(
        url: String,
        response: Response,
    ) -> Result<T, ApiClientError> {
        let bytes = response
            .bytes()
            .await
            .map_err(|source| ApiClientError::Transport {
                url: url.clone(),
                source,
            })?;
        serde_json::from_slice(&bytes).map_err(|e| ApiClientError::Decode {
            url,
            reason: e.to_string(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiClientError> {
        let url = self.url_of(path);
        let (url, response) = self.send(url.clone(), self.client.get(&url)).await?;
        Self::decode(url, response).await
    }

    async fn post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(String, Response), ApiClientError> {
        let url = self.url_of(path);
        self.send(url.clone(), self.client.post(&url).json(body))
            .await
    }

    /// GET `path` as SSZ (`Accept: application/octet-stream`): the body's bytes.
    pub async fn get_ssz_bytes(&self, path: &str) -> Result<Vec<u8>, ApiClientError> {
        let url = self.url_of(path);
        let request = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/octet-stream");
        let (url, response) = self.send(url.clone(), request).await?;
        response
            .bytes()
            .await
            .map(|bytes| bytes.to_vec())
            .map_err(|source| ApiClientError::Transport { url, source })
    }

    /// `GET /eth/v1/beacon/genesis` (404 before genesis).
    pub async fn get_beacon_genesis(&self) -> Result<GenesisData, ApiClientError> {
        Ok(self
            .get::<Data<GenesisData>>("/eth/v1/beacon/genesis")
            .await?
            .data)
    }

    /// `GET /eth/v1/config/spec`: the node's config as `KEY: "value"` pairs.
    pub async fn get_config_spec(
        &self,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ApiClientError> {
        Ok(self
            .get::<Data<serde_json::Map<String, serde_json::Value>>>("/eth/v1/config/spec")
            .await?
            .data)
    }

    /// `GET /eth/v1/node/syncing`.
    pub async fn get_node_syncing(&self) -> Result<SyncingData, ApiClientError> {
        Ok(self
            .get::<Data<SyncingData>>("/eth/v1/node/syncing")
            .await?
            .data)
    }

    /// `GET /eth/v1/beacon/headers/{block_id}` (`head`, a slot, or a 0x-root).
    pub async fn get_beacon_header(&self, block_id: &str) -> Result<HeaderData, ApiClientError> {
        Ok(self
            .get::<ChainData<HeaderData>>(&format!("/eth/v1/beacon/headers/{block_id}"))
            .await?
            .data)
    }

    /// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
    pub async fn get_finality_checkpoints(
        &self,
        state_id: &str,
    ) -> Result<FinalityCheckpoints, ApiClientError> {
        Ok(self
            .get::<ChainData<FinalityCheckpoints>>(&format!(
                "/eth/v1/beacon/states/{state_id}/finality_checkpoints"
            ))
            .await?
            .data)
    }

    /// `GET /eth/v1/node/peer_count`.
    pub async fn get_peer_count(&self) -> Result<PeerCount, ApiClientError> {
        Ok(self
            .get::<Data<PeerCount>>("/eth/v1/node/peer_count")
            .await?
            .data)
    }

    /// `GET /eth/v1/node/version`.
    pub async fn get_node_version(&self) -> Result<String, ApiClientError> {
        Ok(self
            .get::<Data<VersionData>>("/eth/v1/node/version")
            .await?
            .data
            .version)
    }

    /// `GET /eth/v1/beacon/states/{state_id}/fork`.
    pub async fn get_state_fork(&self, state_id: &str) -> Result<Fork, ApiClientError> {
        Ok(self
            .get::<Data<Fork>>(&format!("/eth/v1/beacon/states/{state_id}/fork"))
            .await?
            .data)
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators?id=…`: the validators among `ids`
    /// (indices or 0x-pubkeys) that the state knows.
    pub async fn get_state_validators(
        &self,
        state_id: &str,
        ids: &[String],
    ) -> Result<Vec<ValidatorData>, ApiClientError> {
        // One `id=` per item (the schema's form style, exploded): Lodestar 1.5.1 reads a
        // comma-separated list as one unknown id and answers an empty list.
        let query: Vec<String> = ids.iter().map(|id| format!("id={id}")).collect();
        let path = format!(
            "/eth/v1/beacon/states/{state_id}/validators?{}",
            query.join("&")
        );
        Ok(self.get::<Data<Vec<ValidatorData>>>(&path).await?.data)
    }

    /// `GET /eth/v1/validator/duties/proposer/{epoch}`.
    pub async fn get_validator_duties_proposer(
        &self,
        epoch: u64,
    ) -> Result<DutiesResponse<ProposerDuty>, ApiClientError> {
        self.get(&format!("/eth/v1/validator/duties/proposer/{epoch}"))
            .await
    }

    /// `POST /eth/v1/validator/duties/attester/{epoch}`.
    pub async fn post_validator_duties_attester(
        &self,
        epoch: u64,
        indices: &[u64],
    ) -> Result<DutiesResponse<AttesterDuty>, ApiClientError> {
        let body: Vec<String> = indices.iter().map(u64::to_string).collect();
        let (url, response) = self
            .post(&format!("/eth/v1/validator/duties/attester/{epoch}"), &body)
            .await?;
        Self::decode(url, response).await
    }

    /// `GET /eth/v1/validator/blocks/{slot}`: an unsigned block for `slot`.
    pub async fn get_validator_blocks<E: EthSpec>(
        &self,
        slot: Slot,
        randao_reveal: &SignatureBytes,
        graffiti: Option<Hash256>,
    ) -> Result<BeaconBlock<E>, ApiClientError> {
        let mut path = format!("/eth/v1/validator/blocks/{slot}?randao_reveal={randao_reveal}");
        if let Some(graffiti) = graffiti {
            path.push_str(&format!("&graffiti={graffiti:?}"));
        }
        Ok(self.get::<Data<BeaconBlock<E>>>(&path).await?.data)
    }

    /// `POST /eth/v1/beacon/blocks`.
    pub async fn post_beacon_blocks<E: EthSpec>(
        &self,
        block: &SignedBeaconBlock<E>,
    ) -> Result<PublishOutcome, ApiClientError> {
        let (_, response) = self.post("/eth/v1/beacon/blocks", block).await?;
        Ok(if response.status() == StatusCode::ACCEPTED {
            PublishOutcome::Accepted
        } else {
            PublishOutcome::Imported
        })
    }

    /// `GET /eth/v1/validator/attestation_data`.
    pub async fn get_validator_attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> Result<AttestationData, ApiClientError> {
        Ok(self
            .get::<Data<AttestationData>>(&format!(
                "/eth/v1/validator/attestation_data?slot={slot}&committee_index={committee_index}"
            ))
            .await?
            .data)
    }

    /// `POST /eth/v1/beacon/pool/attestations`.
    pub async fn post_beacon_pool_attestations<E: EthSpec>(
        &self,
        attestations: &[Attestation<E>],
    ) -> Result<(), ApiClientError> {
        self.post("/eth/v1/beacon/pool/attestations", attestations)
            .await
            .map(|_| ())
    }

    /// `GET /eth/v1/validator/aggregate_attestation`; None when the node has none (404, as
    /// later API versions say it; v1 nodes, ours among them, answer 400 with a message).
    pub async fn get_validator_aggregate_attestation<E: EthSpec>(
        &self,
        slot: Slot,
        attestation_data_root: Hash256,
    ) -> Result<Option<Attestation<E>>, ApiClientError> {
        let path = format!(
            "/eth/v1/validator/aggregate_attestation?attestation_data_root={attestation_data_root:?}&slot={slot}"
        );
        match self.get::<Data<Attestation<E>>>(&path).await {
            Ok(data) => Ok(Some(data.data)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /eth/v1/validator/aggregate_and_proofs`.
    pub async fn post_validator_aggregate_and_proofs<E: EthSpec>(
        &self,
        aggregates: &[SignedAggregateAndProof<E>],
    ) -> Result<(), ApiClientError> {
        self.post("/eth/v1/validator/aggregate_and_proofs", aggregates)
            .await
            .map(|_| ())
    }

    /// `POST /eth/v1/validator/beacon_committee_subscriptions`.
    pub async fn post_validator_beacon_committee_subscriptions(
        &self,
        subscriptions: &[BeaconCommitteeSubscription],
    ) -> Result<(), ApiClientError> {
        self.post(
            "/eth/v1/validator/beacon_committee_subscriptions",
            subscriptions,
        )
        .await
        .map(|_| ())
    }

    /// `GET /eth/v1/events?topics=…`: the event stream, until the connection ends.
    pub async fn get_events(
        &self,
        topics: &[&str],
    ) -> Result<impl Stream<Item = Result<BeaconEvent, ApiClientError>>, ApiClientError> {
        // One `topics=` per topic (the schema's exploded form): Lodestar 1.5.1 reads a
        // comma-separated list as one unknown topic.
        let query: Vec<String> = topics.iter().map(|t| format!("topics={t}")).collect();
        let url = self.url_of(&format!("/eth/v1/events?{}", query.join("&")));
        let request = self
            .stream_client
            .get(&url)
            .header("accept", "text/event-stream");
        let (url, response) = self.send(url.clone(), request).await?;
        let mut buffer = Vec::new();
        let frames = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|source| ApiClientError::Transport {
                url: url.clone(),
                source,
            })?;
            buffer.extend_from_slice(&chunk);
            let frames = parse_sse_frames(&mut buffer);
            frames
                .into_iter()
                .map(|frame| decode_event(&url, frame))
                .collect::<Result<Vec<_>, _>>()
        });
        Ok(frames.flat_map(|batch| {
            futures_util::stream::iter(match batch {
                Ok(events) => events.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        }))
    }
}

fn decode_event(url: &str, frame: SseFrame) -> Result<BeaconEvent, ApiClientError> {
    let decode_error = |e: serde_json::Error| ApiClientError::Decode {
        url: url.to_string(),
        reason: format!("{} event: {e}", frame.event),
    };
    Ok(match frame.event.as_str() {
        "head" => BeaconEvent::Head(serde_json::from_str(&frame.data).map_err(decode_error)?),
        "chain_reorg" => {
            BeaconEvent::ChainReorg(serde_json::from_str(&frame.data).map_err(decode_error)?)
        }
        other => BeaconEvent::Other(other.to_string()),
    })
}
