//! What the operator sets about networking (`fresnel bn` flags), with the defaults of
//! other clients.

use discv5::Enr;
use libp2p::Multiaddr;
use std::net::Ipv4Addr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// `<datadir>/network`: the node key and its ENR.
    pub network_dir: PathBuf,
    pub listen_address: Ipv4Addr,
    /// libp2p TCP port (0: any free port).
    pub tcp_port: u16,
    /// discv5 UDP port (0: any free port).
    pub discovery_port: u16,
    /// The address and ports the ENR advertises (default: the listening ones; 127.0.0.1 when
    /// listening on loopback).
    pub enr_address: Option<Ipv4Addr>,
    pub enr_tcp_port: Option<u16>,
    pub enr_udp_port: Option<u16>,
    pub boot_nodes: Vec<Enr>,
    /// Peers always dialled and redialled (`--libp2p-addresses`).
    pub static_peers: Vec<Multiaddr>,
    pub target_peers: usize,
    pub disable_discovery: bool,
    pub subscribe_all_subnets: bool,
    /// `fresnel/<version>`.
    pub agent_version: String,
}

impl NetworkConfig {
    pub fn new(network_dir: PathBuf) -> Self {
        NetworkConfig {
            network_dir,
            listen_address: Ipv4Addr::UNSPECIFIED,
            tcp_port: 9000,
            discovery_port: 9000,
            enr_address: None,
            enr_tcp_port: None,
            enr_udp_port: None,
            boot_nodes: Vec::new(),
            static_peers: Vec::new(),
            target_peers: 50,
            disable_discovery: false,
            subscribe_all_subnets: false,
            agent_version: format!("fresnel/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The address the ENR advertises: the operator's, else the listening address unless it
    /// is unspecified (then none until discovery learns one).
    pub fn advertised_ip(&self) -> Option<Ipv4Addr> {
        self.enr_address
            .or_else(|| (!self.listen_address.is_unspecified()).then_some(self.listen_address))
    }
}
