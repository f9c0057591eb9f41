//! The peer of each sink type under the reload matrix: its `[sinks.NAME]` table in the
//! three variants the cases need (live, changed, down), and what the peer holds, as the
//! message indices of the records it got (a repeat shows as a repeated index).

use crate::support::http_server::{check_batches, HttpServer};
use crate::support::mosquitto::free_port;
use crate::support::nats::{self, NatsServer};
use crate::support::platform::PlatformRig;
use crate::support::postgres::Postgres;
use crate::support::publisher::Collector;
use async_nats::jetstream;
use serde_json::Value;
use std::path::PathBuf;

pub const TB_TOKEN: &str = "tb-matrix-token";
pub const C8Y_USER: &str = "t123/vinstream";
pub const C8Y_PASSWORD: &str = "c8y-matrix-secret";
const STREAM: &str = "VEHICLES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Webhook,
    Thingsboard,
    Cumulocity,
    Nats,
    Postgres,
}

/// Which `[sinks.NAME]` table to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Pointing at the live peer.
    Live,
    /// The live peer with one harmless setting changed, so a reload rebuilds the sink.
    Changed,
    /// Pointing at nothing (a dead port; for the file sink `/dev/full`, see `sink`).
    Down,
}

pub enum Peer {
    File {
        a: PathBuf,
        b: PathBuf,
    },
    Webhook(HttpServer),
    /// The platform broker of the rig, watched by an observer.
    Mqtt(Kind, Collector),
    Nats(NatsServer, Box<jetstream::Context>),
    Postgres(Postgres),
}

impl Kind {
    /// The daemon's account on the platform broker.
    pub fn platform_account(self) -> (&'static str, &'static str) {
        match self {
            Kind::Cumulocity => (C8Y_USER, C8Y_PASSWORD),
            _ => (TB_TOKEN, TB_TOKEN),
        }
    }
}

impl Peer {
    pub async fn start(kind: Kind, rig: &PlatformRig) -> Peer {
        match kind {
            Kind::File => Peer::File {
                a: rig.dir.path().join("out/a.jsonl"),
                b: rig.dir.path().join("out/b.jsonl"),
            },
            Kind::Webhook => Peer::Webhook(HttpServer::start().await),
            Kind::Thingsboard => Peer::Mqtt(kind, rig.observer("matrix-obs", "v1/gateway/#").await),
            Kind::Cumulocity => Peer::Mqtt(kind, rig.observer("matrix-obs", "s/us/#").await),
            Kind::Nats => {
                let server = NatsServer::start();
                let js = jetstream::new(nats::client(&server.url()).await);
                // Both subject templates below fall under it.
                nats::create_vehicles_stream(&js, STREAM).await;
                Peer::Nats(server, Box::new(js))
            }
            Kind::Postgres => Peer::Postgres(Postgres::start()),
        }
    }

    /// The sink's table, named `peer`. Sinks are called in name order: `console` first.
    pub fn sink(&self, rig: &PlatformRig, v: Variant) -> String {
        let changed = v == Variant::Changed;
        let mqtt_port = if v == Variant::Down {
            free_port()
        } else {
            rig.platform.port()
        };
        match self {
            // The file sink opens its file when it is built, and refuses to start on a
            // path it cannot create: "down" is a path that opens but never takes a write.
            Peer::File { a, b } => {
                let path = match v {
                    Variant::Live => a.display().to_string(),
                    Variant::Changed => b.display().to_string(),
                    Variant::Down => "/dev/full".into(),
                };
                format!("[sinks.peer]\ntype = \"file\"\npath = \"{path}\"\n")
            }
            Peer::Webhook(server) => {
                let url = match v {
                    Variant::Down => format!("http://127.0.0.1:{}/ingest", free_port()),
                    _ => server.url(),
                };
                let header = if changed { "X-Tenant = \"fleet-2\"" } else { "" };
                format!(
                    "[sinks.peer]\ntype = \"webhook\"\nurl = \"{url}\"\nheaders = {{ {header} }}\n\
                     batch_max_events = 8\nbatch_timeout = \"100ms\"\ntimeout = \"2s\"\n"
                )
            }
            Peer::Mqtt(Kind::Thingsboard, _) => format!(
                "[sinks.peer]\ntype = \"thingsboard\"\nhost = \"localhost\"\nport = {mqtt_port}\n\
                 ca_file = \"{ca}\"\naccess_token = \"{TB_TOKEN}\"\ndevice_type = \"{ty}\"\n",
                ca = rig.pki.ca.display(),
                ty = if changed { "car" } else { "vehicle" },
            ),
            Peer::Mqtt(_, _) => format!(
                "[sinks.peer]\ntype = \"cumulocity\"\nhost = \"localhost\"\nport = {mqtt_port}\n\
                 ca_file = \"{ca}\"\ntenant = \"t123\"\nusername = \"vinstream\"\n\
                 password = \"{C8Y_PASSWORD}\"\ndevice_id = \"vinstream-1\"\ndevice_name = \"{name}\"\n",
                ca = rig.pki.ca.display(),
                name = if changed { "vinstream-2" } else { "vinstream" },
            ),
            Peer::Nats(server, _) => {
                let url = match v {
                    Variant::Down => format!("nats://127.0.0.1:{}", free_port()),
                    _ => server.url(),
                };
                let subject = if changed {
                    "vehicles.{source}.{vin}"
                } else {
                    "vehicles.{vin}"
                };
                format!(
                    "[sinks.peer]\ntype = \"nats\"\nurl = \"{url}\"\nstream = \"{STREAM}\"\n\
                     subject = \"{subject}\"\ntimeout = \"2s\"\n"
                )
            }
            Peer::Postgres(pg) => {
                let port = match v {
                    Variant::Down => free_port(),
                    _ => pg.port(),
                };
                let url = pg.url().replace(&format!(":{}/", pg.port()), &format!(":{port}/"));
                let rows = if changed { 7 } else { 5000 };
                format!("[sinks.peer]\ntype = \"postgres\"\nurl = \"{url}\"\nbatch_max_rows = {rows}\n")
            }
        }
    }

    /// The index of every record the peer holds, one entry per copy. For the webhook,
    /// after dropping repeated batch ids ([`check_batches`] also panics on a record in
    /// two batches); for NATS, one per stored message (JetStream dedups by `Nats-Msg-Id`);
    /// for PostgreSQL, one per signal row (unique per record and path).
    pub async fn indices(&self) -> Vec<usize> {
        match self {
            Peer::File { a, b } => [a, b]
                .iter()
                .flat_map(|p| {
                    std::fs::read_to_string(p)
                        .unwrap_or_default()
                        .lines()
                        .map(String::from)
                        .collect::<Vec<_>>()
                })
                .map(|l| index_of(&serde_json::from_str::<Value>(&l).expect("whole JSON lines")))
                .collect(),
            Peer::Webhook(server) => check_batches(&server.requests())
                .iter()
                .map(|id| index_of_id(id))
                .collect(),
            Peer::Nats(_, js) => {
                if nats::stream_len(js, STREAM).await == 0 {
                    return Vec::new();
                }
                let stored = nats::stream_messages(js, STREAM).await;
                for m in &stored {
                    assert_eq!(
                        m.json()["id"].as_str(),
                        Some(m.msg_id.as_str()),
                        "Nats-Msg-Id = record id"
                    );
                }
                stored.iter().map(|m| index_of(&m.json())).collect()
            }
            Peer::Postgres(pg) => pg
                .try_query("SELECT record_id FROM vinstream.signals")
                .unwrap_or_default()
                .lines()
                .map(index_of_id)
                .collect(),
            Peer::Mqtt(Kind::Thingsboard, obs) => obs
                .messages()
                .iter()
                .filter(|(t, _)| t == "v1/gateway/telemetry")
                .flat_map(|(_, p)| {
                    let v: Value = serde_json::from_slice(p).expect("JSON telemetry");
                    let mut out = Vec::new();
                    for entries in v.as_object().expect("object by device").values() {
                        for e in entries.as_array().expect("array of entries") {
                            if let Some(m) = e["values"]["Vehicle.TraveledDistance"].as_f64() {
                                out.push(from_metres(m));
                            }
                        }
                    }
                    out
                })
                .collect(),
            Peer::Mqtt(_, obs) => obs
                .messages()
                .iter()
                .filter(|(t, _)| t.starts_with("s/us/"))
                .flat_map(|(_, p)| {
                    let text = String::from_utf8_lossy(p).into_owned();
                    let mut out = Vec::new();
                    for row in text.lines().map(|l| l.split(',').collect::<Vec<_>>()) {
                        if row[0] == "201" {
                            for g in row[3..].chunks(4) {
                                if g.len() == 4 && g[1] == "TraveledDistance" {
                                    out.push(from_metres(g[2].parse().expect("a number")));
                                }
                            }
                        }
                    }
                    out
                })
                .collect(),
        }
    }
}

/// Messages carry `message_id` "rm{i:03}" and an odometer of `i` km.
fn index_of(record: &Value) -> usize {
    index_of_id(record["id"].as_str().expect("record id"))
}

pub fn index_of_id(id: &str) -> usize {
    id.strip_prefix("hm:rm")
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| panic!("a record of another test: {id}"))
}

fn from_metres(m: f64) -> usize {
    (m / 1000.0).round() as usize
}
